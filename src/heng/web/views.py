"""Pages: home, org tree, employee list and e-file. Scoped reads only; no domain logic here."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from heng.accounts.scope import scope_for
from heng.core.masking import mask_bank_account, mask_id_card, mask_phone
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit, units_visible_to
from heng.people.models import EmploymentStatus
from heng.people.permissions import access_employee, can_reveal, employees_visible_to
from heng.people.selectors import employee_search, headcount_by_subtree


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    people = employees_visible_to(request.user).filter(status=EmploymentStatus.ACTIVE)
    units = units_visible_to(request.user)
    chart_units = (
        list(units.filter(depth=2).order_by("path"))
        if scope.company_wide
        else list(units.order_by("depth", "path")[:12])
    )
    counts = headcount_by_subtree(chart_units)
    chart = {
        "xAxis": {
            "type": "category",
            "data": [u.name for u in chart_units],
            "axisLabel": {"interval": 0, "rotate": 30},
        },
        "yAxis": {"type": "value"},
        "grid": {"left": 40, "right": 10, "bottom": 80, "top": 20},
        "tooltip": {"trigger": "axis"},
        "series": [{"type": "bar", "data": [counts[u.pk] for u in chart_units]}],
    }
    context = {
        "headcount": people.count(),
        "unit_count": units.count(),
        "dispatched": people.filter(working_unit__isnull=False).count(),
        "chart": chart,
        "scope": scope,
    }
    return render(request, "web/home.html", context)


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    units = list(units_visible_to(request.user).order_by("path"))
    counts = headcount_by_subtree(units)
    visible_paths = {u.path for u in units}
    step = OrgUnit.steplen
    # Top of the visible forest: units whose parent the user cannot see.
    roots = [u for u in units if u.path[:-step] not in visible_paths]
    children: dict[str, list[OrgUnit]] = defaultdict(list)
    for unit in units:
        if unit.path[:-step] in visible_paths:
            children[unit.path[:-step]].append(unit)
    top_depth = min((u.depth for u in roots), default=1)
    for unit in units:
        unit.headcount = counts[unit.pk]
        unit.kids = children.get(unit.path, [])
        # The first two levels start expanded: enough to see the company's main parts.
        unit.expanded = unit.depth < top_depth + 2
    return render(request, "web/org_tree.html", {"roots": roots, "unit_total": len(units)})


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    unit_id = request.GET.get("unit") or None
    unit = access_unit(request.user, int(unit_id)) if unit_id and unit_id.isdigit() else None
    people = employee_search(
        user=request.user, q=q, unit=unit, status=request.GET.get("status", "active")
    )
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "unit": unit,
        "units": units_visible_to(request.user).order_by("path"),
    }
    template = "web/_employee_table.html" if request.htmx else "web/employee_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def employee_detail(request: HttpRequest, employee_id: int) -> HttpResponse:
    employee = access_employee(request.user, employee_id)
    # Always masked here; permitted viewers reveal one value at a time (audited).
    sensitive = {
        "id_card": mask_id_card(employee.id_card_number),
        "phone": mask_phone(employee.phone),
        "bank": mask_bank_account(employee.bank_account),
    }
    context = {
        "employee": employee,
        "sensitive": sensitive,
        "assignments": employee.assignments.select_related(
            "home_unit", "working_unit", "position"
        ).order_by("-start_date"),
        "contracts": employee.contracts.select_related("position"),
        "can_reveal": can_reveal(request.user, employee),
    }
    return render(request, "web/employee_detail.html", context)

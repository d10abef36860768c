"""Indicator library pages: list with filters, create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, NotFound
from heng.performance import services
from heng.performance.forms import IndicatorForm, apply_errors
from heng.performance.models import Category, ValueKind
from heng.performance.permissions import (
    access_indicator,
    actor_of,
    can_edit_library,
    can_read_policy,
    require_library_editor,
)
from heng.performance.selectors.library import indicator_search


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    if not can_read_policy(request.user):
        raise NotFound()
    q = request.GET.get("q", "").strip()[:60]
    category = request.GET.get("category", "")
    kind = request.GET.get("kind", "")
    found = indicator_search(q=q, category=category, value_kind=kind)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "category": category,
        "kind": kind,
        "categories": Category.choices,
        "kinds": ValueKind.choices,
        "can_edit": can_edit_library(request.user),
    }
    template = (
        "performance/_indicator_table.html"
        if request.htmx  # type: ignore[attr-defined]
        else "performance/indicator_list.html"
    )
    return render(request, template, context)


@login_required
def indicator_new(request: HttpRequest) -> HttpResponse:
    require_library_editor(request.user)
    form = IndicatorForm(
        request.POST or None,
        initial={"category": "result", "direction": "higher", "rule": "linear"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_create(actor=actor_of(request), **form.cleaned_data)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Indicator %(code)s created.") % {"code": indicator.code})
            return redirect("performance:indicator-list")
    status = 422 if request.method == "POST" else 200
    return render(
        request, "performance/indicator_form.html", {"form": form, "new": True}, status=status
    )


@login_required
def indicator_edit(request: HttpRequest, code: str) -> HttpResponse:
    indicator = access_indicator(request.user, code)
    can_edit = can_edit_library(request.user)
    initial = {name: getattr(indicator, name) for name in IndicatorForm.base_fields}
    form = IndicatorForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    if request.method == "POST":
        require_library_editor(request.user)
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if k != "code"}
            try:
                services.indicator_update(actor=actor_of(request), indicator=indicator, **changes)
            except ApplicationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Indicator %(code)s saved.") % {"code": code})
                return redirect("performance:indicator-list")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    used_by = sorted({line.scheme.code for line in indicator.scheme_lines.select_related("scheme")})
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "performance/indicator_form.html",
        {"form": form, "indicator": indicator, "can_edit": can_edit, "used_by": used_by},
        status=status,
    )


@login_required
@require_POST
def indicator_delete(request: HttpRequest, code: str) -> HttpResponse:
    """Delete an indicator no scheme uses; one in use is refused with the schemes named."""
    indicator = access_indicator(request.user, code)
    require_library_editor(request.user)
    try:
        services.indicator_delete(actor=actor_of(request), indicator=indicator)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("performance:indicator-edit", code=code)
    messages.success(request, _("Indicator %(code)s deleted.") % {"code": code})
    return redirect("performance:indicator-list")

"""The resolved scheme of a person on a date ("why this line"), and the what-if page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, NotFound
from heng.people.models import Employee
from heng.people.permissions import access_employee, employees_visible_to
from heng.performance.forms import ResolveForm, WhatIfForm
from heng.performance.permissions import can_read_policy
from heng.performance.selectors import scheme_resolve_for
from heng.performance.whatif import whatif_run


@login_required
def resolved(request: HttpRequest) -> HttpResponse:
    """?employee=<number>&on=<date>; employees without a role see their own."""
    scope = scope_for(request.user)
    form = ResolveForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    employee: Employee | None = None
    on = timezone.localdate()
    if form.is_valid():
        on = form.cleaned_data["on"] or on
        number = form.cleaned_data["employee"].strip()
        if number:
            found = employees_visible_to(request.user).filter(employee_no=number).first()
            if found is None:
                form.add_error("employee", _("No employee %(no)s in your scope.") % {"no": number})
            else:
                employee = found
    if employee is None and not form.errors and scope.own_employee_id is not None:
        employee = access_employee(request.user, scope.own_employee_id)
    if employee is not None:
        try:
            context["resolved"] = scheme_resolve_for(employee=employee, on=on)
        except ApplicationError as exc:
            context["refusal"] = exc
        context["employee"] = employee
    context["on"] = on
    return render(request, "performance/resolved.html", context)


@login_required
def what_if(request: HttpRequest) -> HttpResponse:
    if not can_read_policy(request.user):
        raise NotFound()
    form = WhatIfForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            result = whatif_run(text, by=form.cleaned_data["by"] or None)
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
            status = 422
        except ApplicationError as exc:
            form.add_error("file", exc.message)
            status = 422
        else:
            context["result"] = result
            context["explain"] = (
                result.explain(str(result.rows[0]["employee_id"])) if result.rows else None
            )
    return render(request, "performance/what_if.html", context, status=status)

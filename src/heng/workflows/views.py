"""Approval pages: my requests, the approver's inbox, applying, deciding, the timeline."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, PermissionDenied
from heng.core.notifications import notification_mark_read, notifications_for
from heng.people.permissions import access_employee
from heng.workflows import services
from heng.workflows.forms import DecisionForm, DispatchForm, TransferForm
from heng.workflows.models import RequestKind, RequestState
from heng.workflows.permissions import access_request, can_apply_for, requests_visible_to
from heng.workflows.selectors import inbox, my_requests, rejection, timeline


def _user(request: HttpRequest) -> Any:
    return request.user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "mine": my_requests(user)[:50],
        "waiting": inbox(user).count(),
        "can_apply": user.employee_id is not None,
    }
    return render(request, "workflows/home.html", context)


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    notes = Paginator(notifications_for(user), 30).get_page(request.GET.get("page"))
    return render(request, "workflows/inbox.html", {"pending": inbox(user), "notifications": notes})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    notification_mark_read(user=_user(request), notification_id=int(raw) if raw.isdigit() else None)
    return redirect("approval-inbox")


@login_required
def all_requests(request: HttpRequest) -> HttpResponse:
    """Every request the user may see (HR, auditors, managers of the people concerned)."""
    rows = requests_visible_to(request.user).select_related("employee", "applicant")
    state = request.GET.get("state", "")
    if state:
        rows = rows.filter(state=state)
    page = Paginator(rows.order_by("-submitted_at", "-pk"), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "workflows/list.html",
        {"page": page, "state": state, "states": RequestState.choices},
    )


def _employee_for(request: HttpRequest, kind: str) -> Any:
    raw = request.GET.get("employee") or request.POST.get("employee")
    user = _user(request)
    if raw and raw.isdigit():
        employee = access_employee(user, int(raw))
    elif user.employee_id is not None:
        employee = access_employee(user, user.employee_id)
    else:
        raise PermissionDenied(_("Choose the employee the request is about."))
    if not can_apply_for(user, employee, kind):
        raise PermissionDenied()
    return employee


@login_required
def apply(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in RequestKind.values:
        raise PermissionDenied()
    employee = _employee_for(request, kind)
    form_class = TransferForm if kind == RequestKind.TRANSFER else DispatchForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_submit(
                applicant=_user(request),
                kind=kind,
                employee=employee,
                payload=form.payload(),
                reason=form.cleaned_data.get("reason", ""),
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            form.add_error(None, exc.message)
            for field, message in exc.fields.items():
                form.add_error(
                    _FORM_FIELD.get(field) if _FORM_FIELD.get(field) in form.fields else None,
                    message,
                )
        else:
            messages.success(request, _("Request #%(n)d submitted.") % {"n": created.pk})
            return redirect("approval-detail", created.pk)
    return render(
        request,
        "workflows/apply.html",
        {"form": form, "kind": kind, "employee": employee, "kind_label": RequestKind(kind).label},
    )


_FORM_FIELD = {
    "to_unit_id": "to_unit",
    "to_position_id": "to_position",
    "working_unit_id": "working_unit",
} | {f: f for f in ("effective_date", "start_date", "end_date")}


@login_required
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    approval = access_request(request.user, request_id)
    user = _user(request)
    can_decide = (
        approval.approvers.filter(step=approval.current_step, user=user).exists()
        and approval.state == "in_review"
    )
    context = {
        "approval": approval,
        "steps": timeline(approval),
        "decisions": approval.decisions.select_related("actor"),
        "rejection": rejection(approval),
        "can_decide": can_decide,
        "can_withdraw": approval.applicant_id == user.pk and approval.is_open,
        "form": DecisionForm(initial={"step": approval.current_step}),
    }
    return render(request, "workflows/detail.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, request_id: int) -> HttpResponse:
    access_request(request.user, request_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("approval-detail", request_id)
    try:
        services.request_decide(
            actor=_user(request),
            request_id=request_id,
            approve=form.cleaned_data["decision"] == "approve",
            comment=form.cleaned_data["comment"],
            step=form.cleaned_data["step"],
        )
    except ApplicationError as exc:
        if exc.status == 403:
            raise
        messages.error(request, " ".join([exc.message, *exc.fields.values()]))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("approval-detail", request_id)


@login_required
@require_POST
def withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    access_request(request.user, request_id)
    services.request_withdraw(
        actor=_user(request), request_id=request_id, comment=request.POST.get("comment", "")[:1000]
    )
    messages.success(request, _("Request withdrawn."))
    return redirect("approval-detail", request_id)

"""People pages beyond the e-file: audited reveals, record history, bulk import."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.accounts.scope import scope_for
from heng.core.audit import event_changes
from heng.core.errors import NotFound, PermissionDenied, ValidationFailed
from heng.people import services
from heng.people.imports import KINDS, run_import, template_csv, template_xlsx
from heng.people.permissions import access_contract, access_employee
from heng.people.selectors import employee_history


@login_required
@require_POST
def reveal(request: HttpRequest, employee_id: int, field: str) -> HttpResponse:
    """htmx: swap the masked value for the full one. Refused (403) unless permitted; audited."""
    employee = access_employee(request.user, employee_id)
    value = services.employee_reveal(actor=request.user, employee=employee, field=field)
    return render(request, "people/_revealed.html", {"field": field, "value": value})


@login_required
@require_POST
def contract_reveal(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = access_contract(request.user, contract_id)
    services.contract_reveal_salary(actor=request.user, contract=contract)
    return render(request, "people/_salary.html", {"contract": contract, "revealed": True})


@login_required
def history(request: HttpRequest, employee_id: int) -> HttpResponse:
    """What changed on this person's records, when and by whom (audit trail + versions)."""
    employee = access_employee(request.user, employee_id)
    page = Paginator(employee_history(employee), 50).get_page(request.GET.get("page"))
    for event in page:
        event.changes = event_changes(event)  # type: ignore[attr-defined]
    versions = employee.history.select_related("history_user").order_by("-history_date")[:50]
    rows = []
    previous = None
    # Record versions oldest → newest so each shows its diff against the one before.
    for version in reversed(list(versions)):
        changes: list[str] = []
        if previous is not None:
            delta = version.diff_against(previous, excluded_fields=_VERSION_HIDDEN)
            changes = [c.field for c in delta.changes]
        rows.append({"version": version, "changes": changes})
        previous = version
    context = {"employee": employee, "page": page, "versions": list(reversed(rows))}
    return render(request, "people/history.html", context)


# Versions list which fields changed; the values of these stay out of the page entirely.
_VERSION_HIDDEN = ["id_card_hash"]


# --- bulk import (A8) --------------------------------------------------------------------
_UPLOADS = "imports"


def _import_scope(request: HttpRequest) -> tuple[str, ...] | None:
    scope = scope_for(request.user)
    if not scope.can_manage_people:
        raise PermissionDenied()
    return None if scope.company_wide else scope.unit_paths


def _upload_path(user_id: int, token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / _UPLOADS / str(user_id) / token


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run report with every bad row → commit (all or nothing)."""
    scope_paths = _import_scope(request)
    context: dict[str, Any] = {"kinds": sorted(KINDS), "kind": request.POST.get("kind", "")}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind not in KINDS:
            raise ValidationFailed(fields={"kind": _("Choose what to import.")})
        token = request.POST.get("token", "")
        user_id = request.user.pk
        assert user_id is not None
        if token:  # commit the file checked a moment ago
            if not token.replace("-", "").replace(".", "").isalnum():
                raise NotFound()
            path = _upload_path(user_id, token)
            if not path.exists():
                raise NotFound()
            data, filename = path.read_bytes(), token.split(".", 1)[1]
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed(fields={"file": _("Choose a file.")})
            if upload.size and upload.size > MAX_UPLOAD:
                raise ValidationFailed(fields={"file": _("The file is larger than 20 MB.")})
            data, filename = upload.read(), upload.name or "upload.csv"
        report = run_import(
            kind=kind,
            data=data,
            filename=filename,
            actor=request.user,
            commit=bool(token),
            scope_paths=scope_paths,
        )
        if not token and report.ok and (report.to_create or report.to_update):
            suffix = Path(filename).suffix.lower()[:6]
            token = f"{uuid.uuid4().hex}.upload{suffix}"
            path = _upload_path(user_id, token)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            context["token"] = token
        elif token:
            _upload_path(user_id, token).unlink(missing_ok=True)
        context.update(
            report=report,
            kind=kind,
            errors=sorted(report.errors, key=lambda e: (e.line, e.column))[:1000],
        )
    return render(request, "people/import.html", context)


MAX_UPLOAD = 20 * 1024 * 1024


@login_required
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise NotFound()
    if fmt == "csv":
        response = HttpResponse(template_csv(kind), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            template_xlsx(kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="heng-{kind}-template.{fmt}"'
    return response

"""The audit trail for auditors: search, filter, export CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from heng.core.audit import event_changes
from heng.core.selectors import AuditFilter, audit_actions, audit_search, can_read_audit


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter(request: HttpRequest) -> AuditFilter:
    get = request.GET
    employee = get.get("employee", "")
    return AuditFilter(
        q=get.get("q", "").strip()[:100],
        action=get.get("action", "").strip()[:60],
        target_type=get.get("target_type", "").strip()[:60],
        target_id=get.get("target_id", "").strip()[:40],
        employee_id=int(employee) if employee.isdigit() else None,
        actor=get.get("actor", "").strip()[:150],
        date_from=_date(get.get("from")),
        date_to=_date(get.get("to")),
    )


def _require_auditor(request: HttpRequest) -> None:
    if not can_read_audit(request.user):
        raise Http404()


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    page = Paginator(audit_search(_filter(request)), 50).get_page(request.GET.get("page"))
    for event in page:
        event.changes = event_changes(event)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "f": request.GET, "actions": audit_actions(), "query": query}
    template = "core/_audit_table.html" if request.htmx else "core/audit_log.html"  # type: ignore[attr-defined]
    return render(request, template, context)


COLUMNS = [
    "time",
    "actor",
    "action",
    "record_type",
    "record_id",
    "record",
    "employee_id",
    "before",
    "after",
    "note",
    "request_id",
    "ip",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of the filtered trail (UTF-8 with BOM so Excel opens Chinese correctly)."""
    _require_auditor(request)
    events = audit_search(_filter(request))
    writer = csv.writer(_Echo())

    def rows() -> Iterator[Any]:
        yield "\ufeff" + writer.writerow(COLUMNS)
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(e.at).isoformat(timespec="seconds"),
                    e.actor_label,
                    e.action,
                    e.target_type,
                    e.target_id,
                    e.target_label,
                    e.employee_id or "",
                    json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                    json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
                    e.note,
                    e.request_id,
                    e.ip or "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="heng-audit-{stamp}.csv"'
    return response

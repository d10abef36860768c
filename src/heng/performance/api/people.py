"""Resolved scheme of a person, and what-if scoring, over the API."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from heng.core.api import ERRORS
from heng.core.errors import NotFound, PermissionDenied
from heng.people.permissions import access_employee
from heng.performance.api.schemas import ResolvedOut, resolved_out
from heng.performance.api.schemes import YAML_BODY, uploaded_text
from heng.performance.permissions import access_scheme, can_edit_scheme, can_read_policy
from heng.performance.selectors import scheme_resolve_for
from heng.performance.whatif import whatif_run

router = Router(tags=["performance: people"])


@router.get("/employees/{employee_id}/scheme", response={200: ResolvedOut, **ERRORS})
def resolved_scheme(
    request: HttpRequest,
    employee_id: int,
    on: dt.date | None = None,
    scheme: str | None = None,
    draft: bool = False,
) -> Any:
    """The lines that score this employee on ``on`` (default today), each with why it looks
    that way. ``scheme`` (+ ``draft``) previews a given scheme or its unpublished copy."""
    employee = access_employee(request.user, employee_id)
    chosen = access_scheme(request.user, scheme) if scheme else None
    if chosen is not None and draft and not can_edit_scheme(request.user, chosen):
        raise NotFound()
    resolved = scheme_resolve_for(
        employee=employee, on=on or timezone.localdate(), scheme=chosen, draft=draft
    )
    return resolved_out(resolved)


class WhatIfOut(Schema):
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    bands: list[dict[str, Any]]
    distribution_by: str | None
    distribution: list[dict[str, Any]]
    explanation: dict[str, Any] | None


@router.post("/what-if", response={200: WhatIfOut, **ERRORS}, openapi_extra=YAML_BODY)
def what_if(request: HttpRequest, by: str | None = None, explain: str | None = None) -> Any:
    """Score a scenario file (docs/scenario-format.md) with the engine; nothing is stored."""
    if not can_read_policy(request.user):
        raise PermissionDenied()
    result = whatif_run(uploaded_text(request), by=by)
    explanation = result.explain(explain) if explain else None
    body = {
        "title": result.title,
        "columns": result.columns,
        "rows": result.rows,
        "bands": result.bands,
        "distribution_by": result.distribution_by,
        "distribution": result.distribution,
        "explanation": explanation,
    }
    return _plain(body)


def _plain(value: Any) -> Any:
    """JSON-safe: NaN/∞ become null (JSON has no NaN), other odd types their text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)

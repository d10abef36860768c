"""Sources, batches (push with Idempotency-Key), quarantine, lineage and metric values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field
from pydantic import ValidationError as PydanticValidationError

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS, BoundedPagination, ErrorOut
from heng.core.errors import ApplicationError, ValidationFailed
from heng.integrations.conf import max_push_rows
from heng.integrations.errors import reasons_text
from heng.integrations.files import table_from_records
from heng.integrations.models import BatchVia, Connector, ConnectorRun
from heng.integrations.permissions import (
    access_batch,
    access_connector,
    access_source,
    batches_visible_to,
    connectors_visible_to,
    require_connector_admin,
    require_ingest,
    sources_visible_to,
)
from heng.integrations.selectors import lineage_detail, metric_values, quarantine_for
from heng.integrations.services import (
    batch_ingest,
    batch_revoke,
    connector_create,
    connector_run,
    connector_update,
    payload_hash,
)
from heng.org.permissions import access_unit, units_visible_to
from heng.people.permissions import access_employee, employees_visible_to

router = Router(tags=["integrations"])


class MetricOut(Schema):
    code: str
    name: str
    name_en: str
    unit: str
    value_type: str
    aggregation: str
    min_value: float | None
    max_value: float | None


class SourceOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    subject_kind: str
    layout: str
    natural_key: list[str]
    extra_fields: list[str]
    test_rule: dict[str, Any]
    metrics: list[MetricOut]

    @staticmethod
    def resolve_metrics(obj: Any) -> list[Any]:
        return list(obj.metrics.all())


class BatchOut(Schema):
    id: int
    source: str
    via: str
    status: str
    idempotency_key: str | None
    filename: str
    received: int
    test_rows: int
    duplicates: int
    quarantined: int
    committed: int
    facts: int
    period_start: dt.date | None
    period_end: dt.date | None
    created_at: dt.datetime
    committed_at: dt.datetime | None
    error: str

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(obj.source.code)


class RowErrorOut(Schema):
    row: int
    message: str
    raw: dict[str, Any] = {}


class BatchDetailOut(BatchOut):
    errors: list[RowErrorOut]
    ignored_columns: list[str]

    @staticmethod
    def resolve_errors(obj: Any) -> list[dict[str, Any]]:
        return [
            {"row": e["row"], "message": reasons_text(e["reasons"]), "raw": e.get("raw", {})}
            for e in (obj.report or {}).get("errors", [])
        ]

    @staticmethod
    def resolve_ignored_columns(obj: Any) -> list[str]:
        return list((obj.report or {}).get("ignored_columns", []))


class BatchIn(Schema):
    rows: list[dict[str, Any]] = Field(..., min_length=1)
    strict: bool = Field(False, description="Refuse the whole batch if any row is invalid.")


class QuarantineOut(Schema):
    id: int
    row_no: int
    raw: dict[str, Any]
    reasons: list[dict[str, Any]]
    message: str
    resolved_by_id: int | None

    @staticmethod
    def resolve_message(obj: Any) -> str:
        return reasons_text(obj.reasons)


class LineageQuery(Schema):
    formula: str = Field(..., description="e.g. sum(orders)/sum(views), or one metric code")
    start: dt.date
    end: dt.date
    employee_id: int | None = None
    unit_id: int | None = None


class FactOut(Schema):
    id: int
    metric: str
    date: dt.date
    value: float | None
    text: str | None
    batch_id: int
    row_no: int
    natural_key: str | None
    raw: dict[str, Any] | None = Field(
        None, description="The source row as delivered (for the first rows of the answer)."
    )


class LineageOut(Schema):
    value: float | None
    rows: list[FactOut]
    total_rows: int
    truncated: bool
    batches: list[BatchOut]


class ValuesIn(Schema):
    formulas: dict[str, str]
    period_start: dt.date
    period_end: dt.date
    employee_ids: list[int] | None = None
    unit_ids: list[int] | None = None


class ValueOut(Schema):
    subject_type: str
    subject_id: int
    key: str
    value: float | None


class ConnectorOut(Schema):
    id: int
    name: str
    source: str
    url: str
    schedule: str
    enabled: bool
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(obj.source.code)


class ConnectorDetailOut(ConnectorOut):
    """Every setting except the secret, which is shown masked only."""

    params: dict[str, Any]
    auth_header: str
    auth_value_masked: str
    records_path: str
    field_map: dict[str, Any]
    pagination: str
    page_param: str
    page_size_param: str
    page_size: int
    cursor_path: str
    cursor_param: str
    max_pages: int
    window_days: int
    timeout_seconds: float
    max_attempts: int
    backoff_seconds: float


class ConnectorSettings(Schema):
    params: dict[str, Any] = Field(
        default_factory=dict, description="Query parameters; {start} and {end} are the window."
    )
    auth_header: str = "Authorization"
    auth_value: str = Field("", description="Stored, never returned (answers show it masked).")
    records_path: str = ""
    field_map: dict[str, Any] = Field(
        default_factory=dict, description='Field → dotted path, e.g. {"employee_no": "author.no"}'
    )
    pagination: str = "none"
    page_param: str = "page"
    page_size_param: str = ""
    page_size: int = 100
    cursor_path: str = ""
    cursor_param: str = "cursor"
    max_pages: int = 1000
    window_days: int = 1
    timeout_seconds: float = 30
    max_attempts: int = 4
    backoff_seconds: float = 2
    enabled: bool = True


class ConnectorIn(ConnectorSettings):
    source: str = Field(..., description="The source's code.")
    name: str
    url: str
    schedule: str = Field("0 2 * * *", description="Cron: minute hour day month weekday.")


class ConnectorPatch(Schema):
    """Only the settings given change. ``auth_value`` left out keeps the secret; "" removes it."""

    name: str | None = None
    url: str | None = None
    schedule: str | None = None
    params: dict[str, Any] | None = None
    auth_header: str | None = None
    auth_value: str | None = None
    records_path: str | None = None
    field_map: dict[str, Any] | None = None
    pagination: str | None = None
    page_param: str | None = None
    page_size_param: str | None = None
    page_size: int | None = None
    cursor_path: str | None = None
    cursor_param: str | None = None
    max_pages: int | None = None
    window_days: int | None = None
    timeout_seconds: float | None = None
    max_attempts: int | None = None
    backoff_seconds: float | None = None
    enabled: bool | None = None


class RunOut(Schema):
    id: int
    scheduled_for: dt.datetime
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    window_start: dt.date
    window_end: dt.date
    requests: int
    retries: int
    pages: int
    records: int
    batch_id: int | None
    error: str
    log: str


@router.get("/sources", response={200: list[SourceOut], **ERRORS})
def list_sources(request: HttpRequest) -> Any:
    return sources_visible_to(request.user).prefetch_related("metrics")


@router.get("/sources/{code}", response={200: SourceOut, **ERRORS})
def get_source(request: HttpRequest, code: str) -> Any:
    return access_source(request.user, code)


class PayloadTooLarge(ApplicationError):
    status = 413
    default_code = "payload_too_large"


def _read_batch(request: HttpRequest) -> BatchIn:
    """The body is read here, not by ninja, so that a body over Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE is a clear 413 in our error format instead of an HTML 400."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge(
            _(
                "The request body is larger than %(limit)s bytes: send the rows in several "
                "batches (at most %(rows)s rows each), or upload them as a file."
            )
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "rows": max_push_rows()}
        ) from None
    try:
        return BatchIn.model_validate_json(raw or b"{}")
    except PydanticValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]) or "__all__": e["msg"] for e in exc.errors()}
        raise ValidationFailed(_("Some fields are invalid."), fields=fields) from None


@router.post(
    "/sources/{code}/batches",
    response={200: BatchDetailOut, 201: BatchDetailOut, 413: ErrorOut, **ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": BatchIn.model_json_schema()}},
        }
    },
)
def push_batch(
    request: HttpRequest,
    response: HttpResponse,
    code: str,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=200),
) -> Any:
    """Push rows (field names as in the source's template). The batch is committed whole —
    bad rows quarantined with reasons, or, with ``strict``, the whole batch refused. Sending
    the same ``Idempotency-Key`` again returns the first answer and writes nothing."""
    source = access_source(request.user, code)
    require_ingest(request.user)
    payload = _read_batch(request)
    if len(payload.rows) > max_push_rows():
        raise ValidationFailed(fields={"rows": f"at most {max_push_rows()} rows per batch"})
    outcome = batch_ingest(
        source=source,
        table=table_from_records(payload.rows),
        via=BatchVia.API,
        actor=request.user,  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
        strict=payload.strict,
        content_hash=payload_hash({"rows": payload.rows, "strict": payload.strict}),
    )
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
        return Status(200, outcome.batch)
    return Status(201, outcome.batch)


@router.get("/sources/{code}/batches", response={200: list[BatchOut], **ERRORS})
@paginate(BoundedPagination)
def list_batches(request: HttpRequest, code: str) -> Any:
    source = access_source(request.user, code)
    return batches_visible_to(request.user).filter(source=source).select_related("source")


@router.get("/batches/{batch_id}", response={200: BatchDetailOut, **ERRORS})
def get_batch(request: HttpRequest, batch_id: int) -> Any:
    return access_batch(request.user, batch_id)


@router.post("/batches/{batch_id}/revoke", response={200: BatchOut, **ERRORS})
def revoke_batch(request: HttpRequest, batch_id: int) -> Any:
    batch = access_batch(request.user, batch_id)
    return batch_revoke(batch=batch, actor=request.user)  # type: ignore[arg-type]


@router.get("/batches/{batch_id}/quarantine", response={200: list[QuarantineOut], **ERRORS})
@paginate(BoundedPagination)
def list_quarantine(request: HttpRequest, batch_id: int, unresolved: bool = False) -> Any:
    batch = access_batch(request.user, batch_id)
    return quarantine_for(batch, unresolved_only=unresolved)


@router.get("/lineage", response={200: LineageOut, **ERRORS})
def lineage(request: HttpRequest, query: Query[LineageQuery]) -> Any:
    """The value of a formula for one employee (or unit) and the facts, source rows and
    batches behind it."""
    if (query.employee_id is None) == (query.unit_id is None):
        raise ValidationFailed(fields={"employee_id": "give employee_id or unit_id"})
    if query.employee_id is not None:
        subject: dict[str, Any] = {
            "employee_id": access_employee(request.user, query.employee_id).pk
        }
    else:
        subject = {"unit_id": access_unit(request.user, query.unit_id).pk}  # type: ignore[arg-type]
    return lineage_detail(
        formula=query.formula,
        period_start=query.start,
        period_end=query.end,
        limit=500,
        **subject,
    )


@router.post("/metric-values", response={200: list[ValueOut], **ERRORS})
def post_metric_values(request: HttpRequest, payload: ValuesIn) -> Any:
    """Formula values for any period, limited to the people and units in your scope."""
    scope = scope_for(request.user)
    employee_ids, unit_ids = payload.employee_ids, payload.unit_ids
    if not scope.company_wide:
        visible = set(employees_visible_to(request.user).values_list("pk", flat=True))
        employee_ids = sorted(visible if employee_ids is None else visible & set(employee_ids))
        units = set(units_visible_to(request.user).values_list("pk", flat=True))
        unit_ids = sorted(units if unit_ids is None else units & set(unit_ids))
    frame = metric_values(
        formulas=payload.formulas,
        period_start=payload.period_start,
        period_end=payload.period_end,
        employee_ids=employee_ids,
        unit_ids=unit_ids,
    )
    return frame.to_dicts()


@router.get("/connectors", response={200: list[ConnectorOut], **ERRORS})
def list_connectors(request: HttpRequest) -> Any:
    return connectors_visible_to(request.user).select_related("source")


@router.post("/connectors", response={201: ConnectorDetailOut, **ERRORS})
def create_connector(request: HttpRequest, payload: ConnectorIn) -> Any:
    """Create a pull connector. The schedule, URL and field map are checked (a refusal names
    each field at fault and saves nothing); the next run is computed from the schedule."""
    require_connector_admin(request.user)
    values = payload.model_dump()
    source = access_source(request.user, values.pop("source"))
    return Status(201, connector_create(source=source, **values))


@router.get("/connectors/{connector_id}", response={200: ConnectorDetailOut, **ERRORS})
def get_connector(request: HttpRequest, connector_id: int) -> Any:
    return access_connector(request.user, connector_id)


@router.patch("/connectors/{connector_id}", response={200: ConnectorDetailOut, **ERRORS})
def update_connector(request: HttpRequest, connector_id: int, payload: ConnectorPatch) -> Any:
    """Change settings, or switch the connector on or off with ``{"enabled": …}``."""
    connector = access_connector(request.user, connector_id)
    require_connector_admin(request.user)
    changes = payload.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in changes.items() if v is None and k != "auth_value")
    if nulls:
        raise ValidationFailed(fields=dict.fromkeys(nulls, _("give a value or leave it out")))
    return connector_update(connector=connector, **changes)


@router.get("/connectors/{connector_id}/runs", response={200: list[RunOut], **ERRORS})
@paginate(BoundedPagination)
def list_runs(request: HttpRequest, connector_id: int) -> Any:
    connector = access_connector(request.user, connector_id)
    return ConnectorRun.objects.filter(connector=connector)


@router.post("/connectors/{connector_id}/runs", response={201: RunOut, **ERRORS})
def run_connector(request: HttpRequest, connector_id: int) -> Any:
    """Pull the connector's latest window now (the same run a schedule would make)."""
    connector: Connector = access_connector(request.user, connector_id)
    require_ingest(request.user)
    return Status(201, connector_run(connector=connector))

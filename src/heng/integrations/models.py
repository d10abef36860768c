"""Sources, metrics, batches, facts, quarantine and pull connectors (D1–D4).

A *source* (Douyin back office, ERP, …) declares the *metrics* it delivers. Every delivery is a
*batch* (an upload, a push, a scheduled pull); its clean rows become immutable *facts* keyed by
(metric, employee or unit, date) and carrying the batch and source row they came from (lineage);
its bad rows are *quarantined* with the reason. Facts are never updated: a wrong delivery is
revoked as a whole and sent again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from heng.core.models import TimeStampedModel


class SourceKind(models.TextChoices):
    DOUYIN = "douyin", _("Douyin back office")
    SALES = "sales", _("Sales / ERP")
    CRM = "crm", _("CRM")
    LOGISTICS = "logistics", _("Logistics")
    SERVICE = "service", _("Customer service")
    HR = "hr", _("HR (attendance, training)")
    EXTERNAL = "external", _("External benchmarks")
    OTHER = "other", _("Other")


class SubjectKind(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    UNIT = "unit", _("Org unit")


class Layout(models.TextChoices):
    # wide: one column per metric (employee_no, date, plays, views, …)
    WIDE = "wide", _("One column per metric")
    # long: one row per value (employee_no, date, metric, value)
    LONG = "long", _("One row per metric value")


class Source(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    description = models.TextField(_("description"), blank=True)
    subject_kind = models.CharField(
        _("rows are about"),
        max_length=10,
        choices=SubjectKind.choices,
        default=SubjectKind.EMPLOYEE,
    )
    layout = models.CharField(
        _("layout"), max_length=10, choices=Layout.choices, default=Layout.WIDE
    )
    natural_key = models.JSONField(
        _("natural key"),
        default=list,
        blank=True,
        help_text=_(
            'Fields that identify one record, e.g. ["order_id"] or ["date", '
            '"employee_no"]; a record already received is dropped as a duplicate.'
        ),
    )
    extra_fields = models.JSONField(
        _("other fields"),
        default=list,
        blank=True,
        help_text=_("Non-metric columns the source sends, e.g. order_id, account, is_test."),
    )
    test_rule = models.JSONField(
        _("test-record rule"),
        default=dict,
        blank=True,
        help_text=_(
            'Rows to drop as test data, e.g. {"flag_field": "is_test"} or '
            '{"account_field": "account", "accounts": ["测试号"]}.'
        ),
    )
    column_mapping = models.JSONField(
        _("remembered column mapping"),
        default=dict,
        blank=True,
        help_text=_("Field → file column, remembered from the last upload."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_field(self) -> str:
        return "employee_no" if self.subject_kind == SubjectKind.EMPLOYEE else "unit_code"


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    PERCENT = "percent", _("Percentage (0–100)")
    TEXT = "text", _("Text (for count / distinct)")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    MEAN = "mean", _("Mean")
    LAST = "last", _("Last value")
    COUNT = "count", _("Count")
    DISTINCT = "distinct", _("Distinct values")


class Metric(TimeStampedModel):
    """A raw measure a source delivers, e.g. Douyin ``plays`` (次, integer, sum)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="metrics")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    value_type = models.CharField(
        _("type"), max_length=10, choices=ValueType.choices, default=ValueType.DECIMAL
    )
    aggregation = models.CharField(
        _("aggregation"), max_length=10, choices=Aggregation.choices, default=Aggregation.SUM
    )
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["source", "code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "code"], name="metric_code_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}.{self.code}"


class BatchVia(models.TextChoices):
    UPLOAD = "upload", _("File upload")
    API = "api", _("Push API")
    CONNECTOR = "connector", _("Scheduled pull")
    DEMO = "demo", _("Demo data")
    CLI = "cli", _("Command line")


class BatchStatus(models.TextChoices):
    STAGED = "staged", _("Waiting for commit")
    QUEUED = "queued", _("Committing in the background")
    COMMITTED = "committed", _("Committed")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed (nothing written)")
    REVOKED = "revoked", _("Revoked")


class Batch(TimeStampedModel):
    """One delivery. Its counts always add up: received = test + duplicates + quarantined +
    committed rows."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="batches")
    via = models.CharField(_("received via"), max_length=10, choices=BatchVia.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.STAGED
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, null=True, blank=True)
    payload_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file = models.FileField(
        _("stored payload"), upload_to="ingest/%Y/%m/", blank=True, max_length=255
    )
    file_size = models.BigIntegerField(_("size in bytes"), default=0)
    columns = models.JSONField(_("columns found"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    strict = models.BooleanField(
        _("all rows or none"),
        default=False,
        help_text=_("Refuse the whole batch when any row is bad, instead of quarantining it."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received = models.PositiveIntegerField(_("rows received"), default=0)
    test_rows = models.PositiveIntegerField(_("test rows"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    quarantined = models.PositiveIntegerField(_("quarantined"), default=0)
    committed = models.PositiveIntegerField(_("rows committed"), default=0)
    facts = models.PositiveIntegerField(_("facts written"), default=0)
    period_start = models.DateField(_("first date"), null=True, blank=True)
    period_end = models.DateField(_("last date"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "idempotency_key"], name="batch_idempotency_key_per_source"
            ),
        ]
        indexes = [models.Index(fields=["source", "status", "payload_hash"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source.code}"


class Fact(models.Model):
    """One value of one metric for one employee or unit on one date. Immutable.

    Bulk written (COPY / executemany), so the foreign keys carry no database constraint: the
    ingestion service resolves every id in the same transaction (ADR 0004). ``row_no`` is the
    row in the batch's stored payload (spreadsheet row number for files, 1-based index for
    pushed rows).
    """

    id = models.BigAutoField(primary_key=True)
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    employee = models.ForeignKey(
        "people.Employee",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_constraint=False,
        db_index=False,
    )
    unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_constraint=False,
        db_index=False,
    )
    date = models.DateField()
    value = models.FloatField(null=True)
    text = models.CharField(max_length=200, null=True)
    # The date and batch indexes are made by migrations 0002/0003 per database: BRIN on
    # PostgreSQL (facts arrive in date order and a batch is contiguous, so block ranges find
    # them at almost no cost per inserted row), B-trees on SQLite.
    batch = models.ForeignKey(
        Batch, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    row_no = models.PositiveIntegerField()
    natural_key = models.CharField(max_length=200, null=True)

    class Meta:
        verbose_name = _("fact")
        verbose_name_plural = _("facts")
        constraints = [
            # Key first: keys mostly grow with time (dates, order numbers), so a delivery's
            # keys land at the right edge of the index instead of in the middle of each
            # metric's range — a 1,000,000-row COPY spends ~0.6 s less maintaining it.
            models.UniqueConstraint(
                fields=["natural_key", "metric"],
                condition=Q(natural_key__isnull=False),
                name="fact_natural_key_once",
            ),
            models.CheckConstraint(
                condition=Q(employee__isnull=False, unit__isnull=True)
                | Q(employee__isnull=True, unit__isnull=False),
                name="fact_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id}:{self.employee_id or self.unit_id}:{self.date}={self.value}"


class QuarantinedRow(models.Model):
    """A source row that failed validation, kept with its raw content and the reasons."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="quarantine")
    row_no = models.PositiveIntegerField(_("row"))
    raw = models.JSONField(_("raw row"))
    reasons = models.JSONField(_("reasons"), default=list)
    resolved_by = models.ForeignKey(
        Batch,
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("quarantined row")
        verbose_name_plural = _("quarantined rows")
        ordering = ["batch", "row_no"]

    def __str__(self) -> str:
        return f"#{self.batch_id} row {self.row_no}"


class Pagination(models.TextChoices):
    NONE = "none", _("Single page")
    PAGE = "page", _("Page number parameter")
    CURSOR = "cursor", _("Cursor or next-page URL in the response")


def mask_secret(value: str) -> str:
    """What may be shown of a credential: nothing of a short one, the last 4 characters of a
    long one (enough to tell two tokens apart, not enough to use one)."""
    if not value:
        return ""
    return "••••••" + (value[-4:] if len(value) >= 16 else "")


class Connector(TimeStampedModel):
    """A scheduled pull from an HTTP-JSON endpoint into a source.

    The URL and query values may use ``{start}`` and ``{end}``: the dates of the window being
    pulled (the day before the scheduled run for daily schedules, the week before for weekly).
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="connectors")
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    params = models.JSONField(_("query parameters"), default=dict, blank=True)
    auth_header = models.CharField(
        _("auth header name"), max_length=60, blank=True, default="Authorization"
    )
    auth_value = models.CharField(_("auth header value"), max_length=500, blank=True)
    records_path = models.CharField(
        _("records path"),
        max_length=120,
        blank=True,
        help_text=_('Dotted path to the list of records in the JSON answer, e.g. "data.list".'),
    )
    field_map = models.JSONField(
        _("field mapping"),
        default=dict,
        blank=True,
        help_text=_('Field → dotted path in a record, e.g. {"employee_no": "author.no"}.'),
    )
    pagination = models.CharField(
        _("pagination"), max_length=10, choices=Pagination.choices, default=Pagination.NONE
    )
    page_param = models.CharField(_("page parameter"), max_length=40, default="page")
    page_size_param = models.CharField(_("page size parameter"), max_length=40, blank=True)
    page_size = models.PositiveIntegerField(_("page size"), default=100)
    cursor_path = models.CharField(
        _("next cursor path"),
        max_length=120,
        blank=True,
        help_text=_("For cursor pagination: dotted path to the next cursor or URL."),
    )
    cursor_param = models.CharField(_("cursor parameter"), max_length=40, default="cursor")
    max_pages = models.PositiveIntegerField(_("page limit"), default=1000)
    # Schedule as cron fields (minute hour day-of-month month day-of-week), local time.
    schedule = models.CharField(_("schedule (cron)"), max_length=60, default="0 2 * * *")
    window_days = models.PositiveIntegerField(_("days pulled per run"), default=1)
    timeout_seconds = models.FloatField(_("timeout (s)"), default=30)
    max_attempts = models.PositiveIntegerField(_("attempts per request"), default=4)
    backoff_seconds = models.FloatField(_("first retry after (s)"), default=2)
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["source", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def auth_value_masked(self) -> str:
        """The auth header's value as it may be shown anywhere (never in full)."""
        return mask_secret(self.auth_value)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ConnectorRun(models.Model):
    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField(_("scheduled for"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    window_start = models.DateField(_("from"))
    window_end = models.DateField(_("to"))
    requests = models.PositiveIntegerField(_("requests"), default=0)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    records = models.PositiveIntegerField(_("records"), default=0)
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(_("error"), blank=True)
    log = models.TextField(_("log"), blank=True)

    class Meta:
        verbose_name = _("connector run")
        verbose_name_plural = _("connector runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.connector_id} @ {self.scheduled_for:%Y-%m-%d %H:%M}"

"""Goals (C1–C3, E1–E4): the strategy → OKR → KPI cascade, progress, pace and recognition.

One :class:`Goal` table holds every level of the cascade as an adjacency list (``parent``):
a company *strategy* → unit *objectives* → *key results* (start → target, own unit of
measure) → *KPIs* linked to an indicator of the library and assigned to a position (everyone
holding it in the goal's unit subtree, newcomers included) and/or to named people
(:class:`GoalAssignment`). Progress is stored on each goal and recomputed set-based.

Pace: for each KPI holder and open period, :class:`PaceState` remembers whether the pace is
breached, so an alert (:class:`PaceAlert`) fires once per breach.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.core.models import TimeStampedModel


class GoalKind(models.TextChoices):
    STRATEGY = "strategy", _("Strategic goal")
    OBJECTIVE = "objective", _("Objective")
    KEY_RESULT = "key_result", _("Key result")
    KPI = "kpi", _("KPI")


# Which kinds may sit under which (None = a root).
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    GoalKind.STRATEGY: {None, GoalKind.STRATEGY},
    GoalKind.OBJECTIVE: {None, GoalKind.STRATEGY, GoalKind.OBJECTIVE},
    GoalKind.KEY_RESULT: {GoalKind.OBJECTIVE},
    GoalKind.KPI: {GoalKind.KEY_RESULT, GoalKind.OBJECTIVE},
}


class Cadence(models.TextChoices):
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", _("Yearly")
    WHOLE = "whole", _("Whole goal period")


class PaceMode(models.TextChoices):
    CUMULATIVE = "cumulative", _("Builds up over the period (pro-rated)")
    LEVEL = "level", _("A rate or average (not pro-rated)")


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class Goal(TimeStampedModel):
    kind = models.CharField(_("level"), max_length=12, choices=GoalKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("contributes to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="goals"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        "people.Employee",
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_goals",
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    status = models.CharField(
        _("status"), max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE
    )
    # Share among its siblings; all null = equal shares, else every sibling has one and they
    # add up to 100 (checked when weights are set).
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # --- measure (key results; KPIs use target_value per period) ---------------------------
    measure_unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    start_value = models.FloatField(_("start value"), null=True, blank=True)
    target_value = models.FloatField(_("target"), null=True, blank=True)
    current_value = models.FloatField(_("current value"), null=True, blank=True)
    current_at = models.DateTimeField(_("value as of"), null=True, blank=True)
    indicator = models.ForeignKey(
        "performance.Indicator",
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
    )
    # A key result measured from an indicator: the people of the unit aggregated how?
    aggregate = models.CharField(
        _("aggregate over people"),
        max_length=4,
        choices=[("mean", _("Average")), ("sum", _("Sum"))],
        default="mean",
    )
    # --- KPI assignment and pace -----------------------------------------------------------
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("assigned to position"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="goals",
    )
    cadence = models.CharField(
        _("target period"), max_length=8, choices=Cadence.choices, default=Cadence.MONTH
    )
    pace_mode = models.CharField(
        _("pace"), max_length=10, choices=PaceMode.choices, default=PaceMode.CUMULATIVE
    )
    alert_threshold = models.DecimalField(
        _("alert below share of pace"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(2)],
        help_text=_("e.g. 0.70; empty: the indicator's or the system default."),
    )
    calendar = models.ForeignKey(
        "goals.WorkCalendar",
        verbose_name=_("working-day calendar"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="goals",
    )
    reward_points = models.PositiveIntegerField(
        _("points when completed"),
        default=0,
        help_text=_("Granted automatically once to each person who completes it."),
    )
    # --- computed --------------------------------------------------------------------------
    progress = models.FloatField(_("progress"), null=True, blank=True)
    progress_at = models.DateTimeField(_("progress as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["kind", "title", "id"]
        indexes = [
            models.Index(fields=["parent"], name="goal_parent"),
            models.Index(fields=["kind", "status"], name="goal_kind_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="goal_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.status == GoalStatus.ARCHIVED


class GoalAssignment(TimeStampedModel):
    """A KPI given to a named person (position holders need no row), optionally with his own
    target for each period."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="assignments")
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="goal_assignments"
    )
    target_value = models.FloatField(_("own target"), null=True, blank=True)

    class Meta:
        verbose_name = _("goal assignment")
        verbose_name_plural = _("goal assignments")
        constraints = [
            models.UniqueConstraint(fields=["goal", "employee"], name="goal_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.goal} → {self.employee}"


class ProgressNote(models.Model):
    """An update on a goal: text, optional numbers, and — for a manually measured key result
    or a push from an outside system — the new value."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="progress_notes",
    )
    employee = models.ForeignKey(
        "people.Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_notes",
    )
    text = models.TextField(_("text"), blank=True)
    numbers = models.JSONField(_("numbers"), default=dict, blank=True)
    value = models.FloatField(_("new value"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.goal}: {self.text[:40]}"


class WorkCalendar(TimeStampedModel):
    """Working days for pace: Monday–Friday unless listed otherwise (holidays, 调休 Saturdays)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    is_default = models.BooleanField(_("default for all goals"), default=False)

    class Meta:
        verbose_name = _("working-day calendar")
        verbose_name_plural = _("working-day calendars")

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {'✓' if self.is_workday else '×'}"


class IndicatorPace(TimeStampedModel):
    """Alert threshold for every KPI on one indicator (a KPI's own threshold wins)."""

    indicator = models.OneToOneField(
        "performance.Indicator", on_delete=models.CASCADE, related_name="pace_setting"
    )
    alert_threshold = models.DecimalField(
        _("alert below share of pace"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(2)],
    )

    class Meta:
        verbose_name = _("indicator pace threshold")
        verbose_name_plural = _("indicator pace thresholds")

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.alert_threshold}"


class SchemePace(TimeStampedModel):
    """Alert threshold for the KPIs of everyone assessed under one scheme (考核方案): the
    scheme that applies to the person, as for his appraisal. A KPI's own threshold and the
    indicator's win over it; it wins over the system default."""

    scheme = models.OneToOneField(
        "performance.Scheme", on_delete=models.CASCADE, related_name="pace_setting"
    )
    alert_threshold = models.DecimalField(
        _("alert below share of pace"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(2)],
    )

    class Meta:
        verbose_name = _("scheme pace threshold")
        verbose_name_plural = _("scheme pace thresholds")

    def __str__(self) -> str:
        return f"{self.scheme_id}: {self.alert_threshold}"


class PaceState(models.Model):
    """Where one person stands on one KPI in one period, as of the last check."""

    # Written tens of thousands at a time by the pace check from ids it read in the same
    # transaction: no per-row constraint trigger (ADR 0009); the ORM still cascades. The
    # employee is the first column of an index below; indicators are almost never deleted.
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="pace_states", db_constraint=False
    )
    employee = models.ForeignKey(
        "people.Employee",
        on_delete=models.CASCADE,
        related_name="pace_states",
        db_constraint=False,
        db_index=False,
    )
    indicator = models.ForeignKey(
        "performance.Indicator",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    breached = models.BooleanField(_("off pace"), default=False)
    actual = models.FloatField(_("actual"), null=True)
    expected = models.FloatField(_("expected to date"), null=True)
    target = models.FloatField(_("target"), null=True)
    threshold = models.FloatField(_("threshold"), null=True)
    attainment = models.FloatField(_("share of pace"), null=True)
    breached_at = models.DateTimeField(_("off pace since"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("back on pace at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("pace state")
        verbose_name_plural = _("pace states")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "goal", "period_start"], name="pace_state_once"
            ),
        ]
        indexes = [models.Index(fields=["period_start", "breached"], name="pace_state_open")]

    def __str__(self) -> str:
        return f"{self.employee_id}/{self.goal_id}/{self.period_start}: {self.breached}"


class PaceAlert(models.Model):
    """One breach, with the numbers that triggered it (kept after recovery)."""

    # Written tens of thousands at a time by the pace check from ids it read in the same
    # transaction: no per-row constraint trigger (ADR 0009); the ORM still cascades. The
    # employee is the first column of an index below; indicators are almost never deleted.
    goal = models.ForeignKey(
        Goal, on_delete=models.CASCADE, related_name="alerts", db_constraint=False
    )
    employee = models.ForeignKey(
        "people.Employee",
        on_delete=models.CASCADE,
        related_name="pace_alerts",
        db_constraint=False,
        db_index=False,
    )
    indicator = models.ForeignKey(
        "performance.Indicator",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    as_of = models.DateField(_("data as of"))
    actual = models.FloatField(_("actual"))
    expected = models.FloatField(_("expected to date"))
    target = models.FloatField(_("target"))
    threshold = models.FloatField(_("threshold"))
    attainment = models.FloatField(_("share of pace"))
    recipients = models.JSONField(_("notified users"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # Set once the recipients' messages are written (heng.goals.alerts.announce_alerts).
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pace alert")
        verbose_name_plural = _("pace alerts")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["employee", "created_at"], name="pace_alert_employee"),
            models.Index(
                fields=["id"],
                condition=models.Q(announced_at__isnull=True),
                name="pace_alert_unannounced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}/{self.goal_id} {self.as_of}: {self.attainment:.0%}"


class Recognition(models.Model):
    """Points granted to a person, by a manager or by a rule (completing a rewarded goal)."""

    employee = models.ForeignKey(
        "people.Employee", on_delete=models.CASCADE, related_name="recognitions"
    )
    points = models.PositiveIntegerField(_("points"))
    message = models.CharField(_("message"), max_length=300)
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="recognitions"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recognitions_granted",
    )
    # Automatic grants carry a key so that a rule rewards each completion once.
    rule_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.employee_id} +{self.points}"


class PaceRun(models.Model):
    """One pace check: what triggered it, how much it looked at, how long it took."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    trigger = models.CharField(_("trigger"), max_length=40)
    batch_id = models.BigIntegerField(_("batch"), null=True, blank=True)
    as_of = models.DateField(_("data as of"))
    rows = models.PositiveIntegerField(_("people × KPIs checked"), default=0)
    fired = models.PositiveIntegerField(_("alerts fired"), default=0)
    recovered = models.PositiveIntegerField(_("back on pace"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("pace check")
        verbose_name_plural = _("pace checks")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.trigger}"

"""Appraisal cycles (F1): the cycle, its frozen participants, targets and manual inputs.

Opening a cycle snapshots every participant (units, position, the resolved scheme lines);
scoring, reviews and the scorecard read only these snapshots, so later org or scheme changes
never alter an open cycle.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from heng.core.models import TimeStampedModel
from heng.performance.models.indicators import CODE_VALIDATOR


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class CycleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    SELF_REVIEW = "self_review", _("Self review")
    MANAGER_SCORING = "manager_scoring", _("Manager scoring")
    CALIBRATION = "calibration", _("Calibration")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class LeaverPolicy(models.TextChoices):
    PRORATE = "prorate", _("Prorate by days employed")
    EXCLUDE = "exclude", _("Exclude from the cycle")


class Cycle(FSMModelMixin, TimeStampedModel):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    # Who takes part: unit codes (whole subtrees) and/or position codes; both given = both.
    unit_codes = models.JSONField(_("units"), default=list, blank=True)
    position_codes = models.JSONField(_("positions"), default=list, blank=True)
    leaver_policy = models.CharField(
        _("people who leave"),
        max_length=10,
        choices=LeaverPolicy.choices,
        default=LeaverPolicy.PRORATE,
    )
    peer_limit = models.PositiveSmallIntegerField(_("most peers per person"), default=5)
    review_deadline = models.DateField(_("360 deadline"), null=True, blank=True)
    scoring_deadline = models.DateField(_("manager scoring deadline"), null=True, blank=True)
    state = FSMField(
        _("state"),
        max_length=20,
        choices=CycleState.choices,
        default=CycleState.DRAFT,
        protected=True,
    )
    # Frozen at opening: the framework (engine configuration) and the indicator definitions.
    framework = models.JSONField(_("framework"), default=dict, blank=True)
    indicators = models.JSONField(_("indicators"), default=dict, blank=True)
    line_sets = models.JSONField(_("resolved line sets"), default=dict, blank=True)
    targets_locked = models.BooleanField(_("targets locked"), default=False)
    # Scoring progress for the progress bar (0–100) and the last run's fingerprint.
    score_progress = models.PositiveSmallIntegerField(default=0)
    score_status = models.CharField(max_length=20, blank=True)
    score_message = models.TextField(blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    engine_version = models.CharField(max_length=40, blank=True)
    input_hash = models.CharField(max_length=64, blank=True)
    excuse = models.TextField(_("reason missing manager scores are excused"), blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("appraisal cycle")
        verbose_name_plural = _("appraisal cycles")
        ordering = ["-period_start", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    # Transitions never save; the services in services/cycles.py check, call and save.
    @transition(field=state, source=CycleState.DRAFT, target=CycleState.OPEN)
    def open(self) -> None:
        pass

    @transition(field=state, source=CycleState.OPEN, target=CycleState.SELF_REVIEW)
    def start_self_review(self) -> None:
        pass

    @transition(
        field=state,
        source=[CycleState.OPEN, CycleState.SELF_REVIEW],
        target=CycleState.MANAGER_SCORING,
    )
    def start_manager_scoring(self) -> None:
        self.targets_locked = True

    @transition(field=state, source=CycleState.MANAGER_SCORING, target=CycleState.CALIBRATION)
    def start_calibration(self) -> None:
        pass

    @transition(field=state, source=CycleState.CALIBRATION, target=CycleState.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=state, source=CycleState.PUBLISHED, target=CycleState.ARCHIVED)
    def archive(self) -> None:
        pass


class ParticipantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXCLUDED = "excluded", _("Excluded")


class Participant(models.Model):
    """One person in one cycle, as he was when the cycle opened."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    employee = models.ForeignKey(
        "people.Employee", on_delete=models.PROTECT, related_name="cycle_participations"
    )
    employee_no = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    home_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    working_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unit_path = models.CharField(max_length=255, db_index=True)
    region_code = models.CharField(max_length=40, blank=True)
    position_code = models.CharField(max_length=40, blank=True)
    manager = models.ForeignKey(
        "people.Employee", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    scheme_code = models.CharField(max_length=40)
    scheme_version = models.PositiveIntegerField(null=True)
    # Key into ``cycle.line_sets``: people with the same scheme and overrides share one set
    # of resolved lines, which keeps a 100,000-person snapshot small.
    line_set = models.CharField(max_length=16)
    status = models.CharField(
        max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.ACTIVE
    )
    # Share of the period counted (days employed / days of the period) and where they worked.
    days_factor = models.DecimalField(max_digits=7, decimal_places=6, default=1)
    unit_days = models.JSONField(default=dict, blank=True)  # unit code → days worked there
    note = models.TextField(blank=True)
    manager_comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("cycle participant")
        verbose_name_plural = _("cycle participants")
        ordering = ["cycle", "employee_no"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "employee"], name="participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}: {self.employee_no} {self.name}"

    @property
    def lines(self) -> list[dict[str, Any]]:
        return list(self.cycle.line_sets.get(self.line_set, []))


class TargetMethodChoice(models.TextChoices):
    FIXED = "fixed", _("Fixed value")
    SPLIT = "split", _("Share of a unit target")
    BASELINE = "baseline", _("Own baseline + growth")
    BENCHMARK = "benchmark", _("Benchmark × factor")


class Target(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="targets")
    indicator = models.CharField(max_length=40)
    method = models.CharField(max_length=10, choices=TargetMethodChoice.choices)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    basis = models.JSONField(default=dict, blank=True)  # how the value was derived
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "indicator"], name="target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.indicator}={self.value}"


class ManualValue(models.Model):
    """A manager-entered value of a manual indicator (e.g. a store manager's rating)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="manual_values"
    )
    indicator = models.CharField(max_length=40)
    value = models.DecimalField(max_digits=18, decimal_places=4)
    comment = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "indicator"], name="manual_unique")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.indicator}={self.value}"


class BonusEntry(models.Model):
    """Growth bonus points (an entry list for now; the salon issue will feed it)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="bonus")
    points = models.DecimalField(max_digits=7, decimal_places=2)
    reason = models.CharField(max_length=200)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.participant_id}:+{self.points}"

"""Frameworks (B2), schemes with lines (B3), overrides (B4) and frozen versions.

The rows here are the *working copy* that HR edits. Publishing freezes the whole scheme
(framework, indicator definitions, lines, overrides, who it applies to) into one immutable
:class:`SchemeVersion` document; cycles and resolution read versions, never the working copy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from heng.core.models import TimeStampedModel
from heng.engine import DEFAULT_RATING_BANDS
from heng.engine.numbers import json_number
from heng.performance.models.indicators import CODE_VALIDATOR


def default_rating_bands() -> list[dict[str, Any]]:
    return [
        {
            "code": b.code,
            "min": json_number(b.min_score),
            "name_zh": b.name_zh,
            "name_en": b.name_en,
        }
        for b in DEFAULT_RATING_BANDS
    ]


def _weight(verbose: Any, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    # 4 decimals, like the engine: 30 + 69.99 is 99.99, never "about 100".
    return models.DecimalField(verbose, max_digits=9, decimal_places=4, **kwargs)


class Framework(TimeStampedModel):
    """The company-wide frame: category weights, KPI/360 split, bonus cap, ratings, mix."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    category_weighting = models.BooleanField(
        _("weight by category"),
        default=True,
        help_text=_(
            "On: result/process/growth carry the framework weights and a category's "
            "lines share its weight. Off: the line weights are the final weights."
        ),
    )
    weight_result = _weight(_("result weight"), default=0)
    weight_process = _weight(_("process weight"), default=0)
    weight_growth = _weight(_("growth weight"), default=0)
    kpi_weight = _weight(_("KPI part"), default=100)
    review_weight = _weight(_("360 part"), default=0)
    review_scale_min = _weight(_("360 scale from"), default=0)
    review_scale_max = _weight(_("360 scale to"), default=100)
    review_group_weights = models.JSONField(
        _("360 rater-group weights"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"manager": 50, "peer": 30, "self": 20}; empty: one plain average.'),
    )
    bonus_cap = _weight(_("bonus points cap"), null=True, blank=True)
    rating_bands = models.JSONField(_("rating bands"), default=default_rating_bands)
    target_mix = models.JSONField(_("target distribution"), default=list, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Scheme(TimeStampedModel):
    """An assessment scheme (考核方案): weighted indicator lines inside a framework."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    framework = models.ForeignKey(
        Framework, verbose_name=_("framework"), on_delete=models.PROTECT, related_name="schemes"
    )
    # True while the working copy differs from the latest version (a new draft).
    has_draft_changes = models.BooleanField(_("unpublished changes"), default=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SchemeAssignment(models.Model):
    """Who the scheme is for: a position, a unit subtree, or a position inside a subtree."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("scheme assignment")
        verbose_name_plural = _("scheme assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(position__isnull=False),
                name="scheme_assignment_needs_unit_or_position",
            ),
            models.UniqueConstraint(
                fields=["scheme", "unit", "position"], name="scheme_assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id}: {self.unit_id or '*'} / {self.position_id or '*'}"


class TargetMethod(models.TextChoices):
    ASSIGNED = "assigned", _("Target set per person and cycle")
    FIXED = "fixed", _("Fixed target on the line")
    BENCHMARK = "benchmark", _("Benchmark (region, industry, own baseline)")
    NONE = "none", _("No target needed")


class SchemeLine(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(
        "performance.Indicator",
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="scheme_lines",
    )
    weight = _weight(_("weight"))
    # Blank rule and null params: the indicator's own rule and parameters apply.
    rule = models.CharField(_("rule override"), max_length=30, blank=True)
    params = models.JSONField(_("parameter override"), null=True, blank=True)
    target_method = models.CharField(
        _("target method"),
        max_length=10,
        choices=TargetMethod.choices,
        default=TargetMethod.ASSIGNED,
    )
    target_value = models.DecimalField(
        _("fixed target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    source_set = models.CharField(
        _("indicator set"),
        max_length=20,
        default="main",
        help_text=_("For dispatched staff: which side scores the line, e.g. store or hq."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("scheme line")
        verbose_name_plural = _("scheme lines")
        ordering = ["scheme", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator"], name="scheme_line_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="scheme_line_weight_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_id}: {self.indicator_id} × {self.weight}"


class SchemeOverride(TimeStampedModel):
    """Changes to some lines for a scope (unit, position, employee) and/or a date range."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="overrides")
    code = models.CharField(_("code"), max_length=40, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120, blank=True)
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    employee = models.ForeignKey(
        "people.Employee",
        verbose_name=_("employee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("scheme override")
        verbose_name_plural = _("scheme overrides")
        ordering = ["scheme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="scheme_override_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="scheme_override_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code}/{self.code}"


class OverrideAction(models.TextChoices):
    SET = "set", _("Set or add the line")
    REMOVE = "remove", _("Remove the line")


class OverrideChange(models.Model):
    override = models.ForeignKey(SchemeOverride, on_delete=models.CASCADE, related_name="changes")
    indicator = models.ForeignKey(
        "performance.Indicator",
        verbose_name=_("indicator"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(
        _("action"), max_length=10, choices=OverrideAction.choices, default=OverrideAction.SET
    )
    # Null / blank: keep what the base line says (for a line the override adds: defaults).
    weight = _weight(_("weight"), null=True, blank=True)
    rule = models.CharField(_("rule override"), max_length=30, blank=True)
    params = models.JSONField(_("parameter override"), null=True, blank=True)
    target_method = models.CharField(
        _("target method"), max_length=10, blank=True, choices=TargetMethod.choices
    )
    target_value = models.DecimalField(
        _("fixed target"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    source_set = models.CharField(_("indicator set"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("override change")
        verbose_name_plural = _("override changes")
        ordering = ["override", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["override", "indicator"], name="override_change_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.override_id}: {self.action} {self.indicator_id}"


class ImmutableVersion(Exception):
    """A published version is never changed or deleted; publish a new one instead."""


class SchemeVersion(models.Model):
    """A published, frozen scheme: the full scheme document and its SHA-256 digest."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    document = models.JSONField(_("scheme document"))
    digest = models.CharField(_("digest"), max_length=64)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableVersion(f"scheme version {self.pk} is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableVersion(f"scheme version {self.pk} is immutable")

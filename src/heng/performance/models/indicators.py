"""The indicator library (B1): what can be measured and how it is scored by default."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from heng.core.models import TimeStampedModel
from heng.engine import RULES

# Codes travel in URLs, scheme files and engine frames: keep them plain.
CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
    _("Use letters, digits, '_', '-' or '.', starting with a letter or digit."),
)


class Category(models.TextChoices):
    RESULT = "result", _("Result")
    PROCESS = "process", _("Process")
    GROWTH = "growth", _("Growth")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class ValueKind(models.TextChoices):
    METRIC = "metric", _("Source metric")
    FORMULA = "formula", _("Formula over metrics")
    MANUAL = "manual", _("Entered by a manager")
    REVIEW = "review", _("360 review")


RULE_CHOICES = [(name, name) for name in sorted(RULES)]


class Indicator(TimeStampedModel):
    """One measurable thing (e.g. on-time delivery rate) with its default scoring rule."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    value_kind = models.CharField(_("value source"), max_length=10, choices=ValueKind.choices)
    source_metric = models.CharField(
        _("source metric"),
        max_length=80,
        blank=True,
        help_text=_("For a source metric: the metric code delivered by data integration."),
    )
    formula = models.CharField(
        _("formula"),
        max_length=300,
        blank=True,
        help_text=_("For a formula: e.g. sum(orders) / sum(views)."),
    )
    rule = models.CharField(_("scoring rule"), max_length=30)
    params = models.JSONField(_("rule parameters"), default=dict, blank=True)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

"""Scored results (one row per participant, stored idempotently) and calibration adjustments."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from heng.performance.models.cycles import Cycle, Participant


def _score_field(*, null: bool = False) -> models.DecimalField:  # type: ignore[type-arg]
    """Scores are stored with four decimals (ADR 0002); one definition keeps them alike."""
    return models.DecimalField(max_digits=12, decimal_places=4, null=null, blank=null)


class Result(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="results")
    participant = models.OneToOneField(Participant, on_delete=models.CASCADE, related_name="result")
    employee_id = models.IntegerField(db_index=True)  # denormalised for the scorecard trend
    kpi = _score_field()
    review_score = _score_field(null=True)
    bonus = _score_field()
    total = _score_field()
    rating = models.CharField(max_length=40)
    rank = models.PositiveIntegerField()
    group_size = models.PositiveIntegerField()
    # After calibration (equal to total/rating until someone adjusts them with a reason).
    final_total = _score_field()
    final_rating = models.CharField(max_length=40)
    # The engine's explanation as JSON text (built vectorised, stored verbatim): per
    # indicator one array in EXPLAIN_COLUMNS order (2.5× smaller than objects: 100,000
    # results × 20 indicators were 360 MB) — read it with ``indicator_rows()``; per category
    # one object. Text keeps 100k-person cycles cheap to write.
    indicators = models.TextField(default="[]")
    categories = models.TextField(default="[]")
    engine_version = models.CharField(max_length=40)
    input_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["cycle", "rank", "participant"]

    def __str__(self) -> str:
        return f"{self.participant_id}: {self.final_total}"

    def indicator_rows(self) -> list[dict[str, Any]]:
        """The explanation, one dict per indicator (keys: EXPLAIN_COLUMNS); also reads the
        object form results scored before the compact one were stored in."""
        return explanation_rows(self.indicators)


# The columns of a stored explanation row, in order (see Result.indicators).
EXPLAIN_COLUMNS = (
    "indicator",
    "actual",
    "target",
    "benchmark",
    "reference",
    "attainment",
    "score",
    "weight",
    "effective_weight",
    "contribution",
)


def explanation_rows(text: str) -> list[dict[str, Any]]:
    return [
        row if isinstance(row, dict) else dict(zip(EXPLAIN_COLUMNS, row, strict=True))
        for row in json.loads(text)
    ]


class Adjustment(models.Model):
    """A calibration change of a final score or rating: always with a reason, who and when."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="adjustments")
    field = models.CharField(max_length=12)  # "total" or "rating"
    old_value = models.CharField(max_length=40)
    new_value = models.CharField(max_length=40)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["result", "at", "id"]

    def __str__(self) -> str:
        return f"{self.result_id}: {self.field} → {self.new_value}"

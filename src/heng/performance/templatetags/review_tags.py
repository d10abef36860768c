"""The anonymous 360 summary for a scorecard (peer/subordinate groups only as averages of at
least ``ANONYMITY_MIN`` answers; never an individual answer)."""

from __future__ import annotations

from typing import Any

from django import template

from heng.performance.models import ANONYMITY_MIN, Participant, Questionnaire, RaterGroup
from heng.performance.selectors.cycles import review_summary

register = template.Library()


@register.simple_tag
def review_summary_of(card: Any) -> dict[str, Any] | None:
    """``card``: a scorecard the page already may show. None when nobody answered."""
    if card is None:
        return None
    p = Participant.objects.filter(cycle_id=card.cycle_id, employee_id=card.employee_id).first()
    groups = review_summary(p) if p is not None else []
    if not groups:
        return None
    labels = dict(RaterGroup.choices)
    q = Questionnaire.objects.filter(cycle_id=card.cycle_id).first()
    return {
        "groups": [{**g, "label": labels.get(g["group"], g["group"])} for g in groups],
        "scale_max": q.scale_max if q else None,
        "anonymity_min": ANONYMITY_MIN,
    }

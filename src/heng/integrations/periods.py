"""Periods a value is asked for: a day, the ISO week, the month or the quarter around a date, or
a custom range (both ends inclusive)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.core.errors import ValidationFailed

MAX_DAYS = 3660  # ten years: longer ranges are a typing mistake, not a question


class PeriodKind(models.TextChoices):
    DAY = "day", gettext_lazy("Day")
    WEEK = "week", gettext_lazy("Week (Monday–Sunday)")
    MONTH = "month", gettext_lazy("Month")
    QUARTER = "quarter", gettext_lazy("Quarter")
    CUSTOM = "custom", gettext_lazy("Custom range")


def period_bounds(
    kind: str,
    *,
    on: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """First and last day of the period. ``on`` (default today) picks the day, week, month or
    quarter; a custom range needs ``start`` and ``end``. Errors name the field at fault."""
    if kind not in PeriodKind.values:
        raise ValidationFailed(
            fields={
                "period": _("choose one of %(choices)s") % {"choices": ", ".join(PeriodKind.values)}
            }
        )
    if kind == PeriodKind.CUSTOM:
        missing = {
            name: _("give the first and the last day of the range")
            for name, value in (("start", start), ("end", end))
            if value is None
        }
        if missing or start is None or end is None:
            raise ValidationFailed(fields=missing)
        if end < start:
            raise ValidationFailed(fields={"end": _("The period ends before it starts.")})
        if (end - start).days > MAX_DAYS:
            raise ValidationFailed(fields={"end": _("Choose a period of at most ten years.")})
        return start, end
    day = on or timezone.localdate()
    if kind == PeriodKind.DAY:
        return day, day
    if kind == PeriodKind.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    if kind == PeriodKind.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    first_month = 3 * ((day.month - 1) // 3) + 1
    last_month = first_month + 2
    return (
        dt.date(day.year, first_month, 1),
        dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]),
    )

"""Cron schedules ("0 2 * * *" = daily 02:00, "0 3 * * 1" = Mondays 03:00), local time.

Five fields: minute hour day-of-month month day-of-week; each ``*``, ``*/n``, ``a``, ``a-b``,
``a-b/n`` or a comma list; day-of-week 0–7 (0 and 7 are Sunday) or mon…sun. As in cron, when
both day fields are restricted a day matching either one runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.core.errors import ValidationFailed

DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
FIELDS = (
    (gettext_lazy("minute"), 0, 59),
    (gettext_lazy("hour"), 0, 23),
    (gettext_lazy("day of month"), 1, 31),
    (gettext_lazy("month"), 1, 12),
    (gettext_lazy("day of week"), 0, 7),
)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    any_day: bool
    any_weekday: bool

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        weekday = (day.weekday() + 1) % 7
        by_day, by_weekday = day.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday


def _number(text: str) -> int:
    return DAYS[text] if text in DAYS else int(text)


def _field(text: str, name: object, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _slash, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                a, b = base.split("-", 1)
                start, end = _number(a), _number(b)
            else:
                start = _number(base)
                end = high if step_text else start
        except (ValueError, KeyError):
            raise ValidationFailed(
                _("The schedule's %(field)s field %(text)r is not understood.")
                % {"field": name, "text": text},
                code="bad_schedule",
                fields={"schedule": text},
            ) from None
        if step < 1 or start < low or end > high or start > end:
            raise ValidationFailed(
                _("The schedule's %(field)s field must lie between %(low)s and %(high)s.")
                % {"field": name, "low": low, "high": high},
                code="bad_schedule",
                fields={"schedule": text},
            )
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse_cron(text: str) -> Cron:
    parts = text.split()
    if len(parts) != 5:
        raise ValidationFailed(
            _('A schedule has five fields (minute hour day month weekday), e.g. "0 2 * * *".'),
            code="bad_schedule",
            fields={"schedule": text},
        )
    sets = [_field(p, n, lo, hi) for p, (n, lo, hi) in zip(parts, FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        sets[0],
        sets[1],
        sets[2],
        sets[3],
        weekdays,
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


def next_run(schedule: str | Cron, after: dt.datetime) -> dt.datetime:
    """The first time strictly after ``after`` that the schedule fires (aware, local zone)."""
    cron = parse_cron(schedule) if isinstance(schedule, str) else schedule
    local = timezone.localtime(after).replace(second=0, microsecond=0, tzinfo=None)
    start = local + dt.timedelta(minutes=1)
    day = start.date()
    for _i in range(366 * 5):
        if cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    candidate = dt.datetime.combine(day, dt.time(hour, minute))
                    if candidate >= start:
                        return timezone.make_aware(candidate)
        day += dt.timedelta(days=1)
    raise ValidationFailed(
        _("The schedule never fires."), code="bad_schedule", fields={"schedule": str(schedule)}
    )

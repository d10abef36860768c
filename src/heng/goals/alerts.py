"""Pace alerts: one row per new breach, then its message to the person and his manager(s).

    fired = record_alerts(transitions_that_fired, as_of=date(2026, 3, 16), now=now)  # the check
    sent = announce_alerts()  # right after, in the worker: in-app + channels

Two steps. The check records each alert with its recipients in its own transaction, together
with the pace states, and queues the announcement on commit; the announcement writes the
messages of every alert not yet announced and marks them. Keeping the messages out of the
check keeps its lock and transaction short (24,000 messages after a bad week), and a message
that cannot be written never undoes a detected breach. Nothing is lost if the queue is down:
the every-minute job announces whatever is left, and the messages' keys
(``pace:<alert>:<user>``) make a repeat harmless.

Set-based: after a bad week tens of thousands of people fall behind at once. The alerts are
written with one COPY, and each recipient's message is rendered in his language as one string
expression per language (:func:`heng.notifications.fanout.template_expr`) rather than one
Python call per message.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.accounts.models import User
from heng.core.bulk import insert_frame
from heng.core.frames import queryset_frame
from heng.goals.models import Goal, PaceAlert
from heng.goals.recipients import managers_of, users_of
from heng.notifications.fanout import send_frame, template_expr
from heng.people.models import Employee
from heng.performance.models import Indicator

TITLE = _("Off pace: %(indicator)s (%(name)s)")
BODY = _(
    "%(name)s — %(goal)s: %(actual)s by %(as_of)s, %(expected)s expected to date "
    "(%(attainment)s of the pace; alert below %(threshold)s). "
    "Target %(target)s for %(period_start)s – %(period_end)s."
)


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}{unit}" if unit in ("%", "") else f"{text} {unit}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _texts(frame: pl.DataFrame, column: str, unit: str | None = None) -> pl.Series:
    """A number column as the message shows it (``number``/``percent``: Python's formatting,
    thousands separators and rounding included — a few tens of thousands of calls)."""
    values = frame[column].to_list()
    if unit is None:
        return pl.Series([percent(v) for v in values], dtype=pl.Utf8)
    units = frame[unit].to_list()
    return pl.Series([number(v, u) for v, u in zip(values, units, strict=True)], dtype=pl.Utf8)


def _recipients(fired: pl.DataFrame) -> dict[int, list[int]]:
    """employee → the users who hear of his breaches: himself (with a login) and his managers."""
    employees = fired.select("employee_id", "unit_id", "working_unit_id").unique("employee_id")
    managers = managers_of(employees.iter_rows())
    own = users_of(employees["employee_id"].to_list())
    return {
        e: sorted(({own[e]} if e in own else set()) | managers.get(e, set()))
        for e in employees["employee_id"].to_list()
    }


def _labels(fired: pl.DataFrame) -> pl.DataFrame:
    """``fired`` plus the words of its messages: name, goal, indicator, unit."""
    names = queryset_frame(
        Employee.objects.filter(pk__in=fired["employee_id"].unique().to_list()).values_list(
            "pk", "name"
        ),
        {"employee_id": pl.Int64, "name": pl.Utf8},
    )
    goals = queryset_frame(
        Goal.objects.filter(pk__in=fired["goal_id"].unique().to_list()).values_list("pk", "title"),
        {"goal_id": pl.Int64, "goal": pl.Utf8},
    )
    indicators = queryset_frame(
        Indicator.objects.filter(pk__in=fired["indicator_id"].unique().to_list()).values_list(
            "pk", "name", "unit"
        ),
        {"indicator_id": pl.Int64, "indicator": pl.Utf8, "unit": pl.Utf8},
    )
    return (
        fired.join(names, on="employee_id", how="left")
        .join(goals, on="goal_id", how="left")
        .join(indicators, on="indicator_id", how="left")
        .with_columns(pl.col("name", "goal", "indicator", "unit").fill_null(""))
    )


def record_alerts(fired: pl.DataFrame, *, as_of: dt.date, now: dt.datetime) -> int:
    """Write one :class:`PaceAlert` per row of ``fired`` (the breach transitions), with the
    users to tell; returns the number of alerts. :func:`announce_alerts` tells them."""
    if fired.is_empty():
        return 0
    recipients = _recipients(fired)
    insert_frame(
        PaceAlert,
        fired.select(
            "goal_id",
            "employee_id",
            "indicator_id",
            "period_start",
            "period_end",
            pl.lit(as_of).alias("as_of"),
            "actual",
            "expected",
            "target",
            "threshold",
            "attainment",
            pl.col("employee_id")
            .replace_strict({e: json.dumps(u) for e, u in recipients.items()}, return_dtype=pl.Utf8)
            .alias("recipients"),
            pl.lit(now).alias("created_at"),
        ),
    )
    return fired.height


ANNOUNCED_SCHEMA = {
    "id": pl.Int64,
    "goal_id": pl.Int64,
    "employee_id": pl.Int64,
    "indicator_id": pl.Int64,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "as_of": pl.Date,
    "actual": pl.Float64,
    "expected": pl.Float64,
    "target": pl.Float64,
    "threshold": pl.Float64,
    "attainment": pl.Float64,
    "recipients": pl.Utf8,
}


@transaction.atomic
def announce_alerts(*, now: dt.datetime | None = None) -> int:
    """Tell the recipients of every alert not yet announced (in-app, plus their channels) and
    mark those alerts; returns how many were announced. Two workers at once split the alerts
    between them (rows locked, locked ones skipped, on PostgreSQL)."""
    pending = PaceAlert.objects.filter(announced_at__isnull=True).order_by()
    if connection.vendor == "postgresql":
        pending = pending.select_for_update(skip_locked=True)
    alerts = queryset_frame(pending.values_list(*ANNOUNCED_SCHEMA), ANNOUNCED_SCHEMA)
    if alerts.is_empty():
        return 0
    _notify(_labels(alerts))
    # (in slices: SQLite takes at most 32,766 parameters in one statement)
    for start in range(0, alerts.height, 10_000):
        ids = alerts["id"][start : start + 10_000].to_list()
        PaceAlert.objects.filter(pk__in=ids).update(announced_at=now or timezone.now())
    return alerts.height


def _notify(alerts: pl.DataFrame) -> None:
    heard = alerts.select(
        "id", pl.col("recipients").str.json_decode(pl.List(pl.Int64)).alias("recipient_id")
    ).explode("recipient_id")
    languages = queryset_frame(
        User.objects.filter(
            pk__in=heard["recipient_id"].drop_nulls().unique().to_list()
        ).values_list("pk", "preferred_language"),
        {"recipient_id": pl.Int64, "language": pl.Utf8},
    )
    params = {
        "name": pl.col("name"),
        "indicator": pl.col("indicator"),
        "goal": pl.col("goal"),
        "actual": pl.col("actual_text"),
        "expected": pl.col("expected_text"),
        "target": pl.col("target_text"),
        "attainment": pl.col("attainment_text"),
        "threshold": pl.col("threshold_text"),
        "as_of": pl.col("as_of").dt.to_string("%Y-%m-%d"),
        "period_start": pl.col("period_start").dt.to_string("%Y-%m-%d"),
        "period_end": pl.col("period_end").dt.to_string("%Y-%m-%d"),
    }
    messages = (
        alerts.with_columns(
            _texts(alerts, "actual", "unit").alias("actual_text"),
            _texts(alerts, "expected", "unit").alias("expected_text"),
            _texts(alerts, "target", "unit").alias("target_text"),
            _texts(alerts, "attainment").alias("attainment_text"),
            _texts(alerts, "threshold").alias("threshold_text"),
        )
        .join(heard, on="id")
        .join(languages, on="recipient_id")
        .with_columns(
            pl.col("language").replace("", None).fill_null(pl.lit(settings.LANGUAGE_CODE))
        )
    )
    parts = [
        group.select(
            "recipient_id",
            template_expr(TITLE, language, params).alias("title"),
            template_expr(BODY, language, params).alias("body"),
            pl.format("/goals/people/{}/", "employee_id").alias("url"),
            pl.format("pace:{}:{}", "id", "recipient_id").alias("key"),
        )
        for (language,), group in messages.group_by(["language"], maintain_order=True)
    ]
    if parts:
        send_frame(pl.concat(parts), kind="pace_alert")

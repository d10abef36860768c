"""Send tens of thousands of messages at once, as Polars frames (the pace check's alerts).

    title = template_expr(TITLE, "zh-hans", {"name": pl.col("name"), ...})
    sent = send_frame(frame)  # recipient_id, title, body, url, key — one row per recipient

:func:`heng.notifications.services.send_many` renders and writes one Python object per
recipient; 24,000 pace alerts spent ~1 s there. Here a caller renders each language's text
as one string expression over all rows (:func:`template_expr`) and :func:`send_frame` writes
the in-app rows with one COPY, with the same rules as ``send_many``: a key already used (or
used twice in the frame) is skipped, the channel deliveries are added in the same
transaction and handed to the worker after commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from heng.core.bulk import insert_frame
from heng.core.models import Notification
from heng.notifications.models import ChannelSetting, DeliveryStatus
from heng.notifications.services import _deliveries, _enqueue, _Row, _taken

__all__ = ["FRAME_SCHEMA", "send_frame", "template_expr"]

FRAME_SCHEMA = {
    "recipient_id": pl.Int64,
    "title": pl.Utf8,
    "body": pl.Utf8,
    "url": pl.Utf8,
    "key": pl.Utf8,
}
# ``%(name)s`` placeholders and ``%%``: the only forms the message templates use.
_TOKEN = re.compile(r"%\((\w+)\)s|%%|%")


def template_expr(template: Any, language: str, params: Mapping[str, pl.Expr]) -> pl.Expr:
    """``str(template) % params`` in ``language`` as one string expression: the translated
    text split at its placeholders, the literal parts and the parameter columns joined.
    A placeholder without a parameter, or another ``%`` form, is an error (as ``%`` is)."""
    with translation.override(language):
        text = str(template)
    parts: list[pl.Expr] = []
    literal = ""
    position = 0
    for match in _TOKEN.finditer(text):
        literal += text[position : match.start()]
        position = match.end()
        if match.group(0) == "%%":
            literal += "%"
            continue
        name = match.group(1)
        if name is None:
            raise ValueError(f"unsupported % form in message template: {text!r}")
        if name not in params:
            raise KeyError(name)
        parts += [pl.lit(literal), params[name].cast(pl.Utf8)]
        literal = ""
    parts.append(pl.lit(literal + text[position:]))
    return pl.concat_str(parts, ignore_nulls=True)


@transaction.atomic
def send_frame(frame: pl.DataFrame, *, kind: str) -> int:
    """Write one in-app notification per row (columns of :data:`FRAME_SCHEMA`) plus the
    deliveries of recipients who switched a channel on; returns the rows written."""
    frame = frame.select(
        "recipient_id",
        pl.col("title").str.slice(0, 200),
        "body",
        "url",
        pl.col("key").str.slice(0, 120),
    ).cast(FRAME_SCHEMA)  # type: ignore[arg-type]
    # Keys are unique: within one frame the first of two equal keys wins.
    frame = frame.filter(pl.col("key").is_null() | pl.col("key").is_first_distinct())
    frame = _without_taken(frame)
    try:
        with transaction.atomic():
            written = _write(frame)
    except IntegrityError:
        # Another sender wrote some of the same keys since the look-up: leave those out.
        written = _write(_without_taken(frame))
    _hand_over(written, kind)
    return written.height


def _without_taken(frame: pl.DataFrame) -> pl.DataFrame:
    taken = _taken(frame["key"].drop_nulls().to_list())
    if not taken:
        return frame
    return frame.filter(~pl.col("key").is_in(pl.Series(list(taken), dtype=pl.Utf8).implode()))


def _write(frame: pl.DataFrame) -> pl.DataFrame:
    return insert_frame(
        Notification, frame.with_columns(pl.lit(timezone.now()).alias("created_at")), with_pks=True
    )


def _hand_over(written: pl.DataFrame, kind: str) -> None:
    """Deliveries for the (few) recipients with a channel switched on."""
    if written.is_empty():
        return
    listening = set(
        ChannelSetting.objects.filter(
            user_id__in=written["recipient_id"].unique().to_list(), enabled=True
        ).values_list("user_id", flat=True)
    )
    if not listening:
        return
    rows = [
        _Row(r["recipient_id"], r["title"], r["body"], r["url"], r["key"], kind, pk=r["id"])
        for r in written.filter(pl.col("recipient_id").is_in(list(listening))).iter_rows(named=True)
    ]
    ids = [d.pk for d in _deliveries(rows) if d.status == DeliveryStatus.PENDING]
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))

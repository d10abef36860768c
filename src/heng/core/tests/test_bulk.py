"""Bulk writes: ``bulk_insert`` (model instances) and ``insert_frame`` (Polars frames)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from heng.core.bulk import bulk_insert, insert_frame
from heng.core.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db
User = get_user_model()

AT = dt.datetime(2026, 3, 16, 8, 30, 15, 123456, tzinfo=dt.UTC)


def test_a_frame_is_written_with_defaults_for_the_fields_it_leaves_out() -> None:
    # given two audit events as a frame: JSON as text, one empty note, one missing "after"
    frame = pl.DataFrame(
        {
            "actor_label": ["hr", "系统"],
            "action": ["cycle.open", "pace.alert"],
            "before": ['{"state": "draft"}', None],
            "note": ["", '第3名 / 12, "quoted"'],
        }
    ).with_columns(pl.lit(AT).alias("at"))

    # when it is inserted with primary keys
    written = insert_frame(AuditEvent, frame, with_pks=True)

    # then every row is there as given, the rest at its default, and the ids are the rows'
    rows = {e.pk: e for e in AuditEvent.objects.filter(pk__in=written["id"].to_list())}
    assert len(rows) == 2
    first, second = (rows[pk] for pk in written["id"].to_list())
    assert (first.actor_label, first.action, first.before, first.note) == (
        "hr",
        "cycle.open",
        {"state": "draft"},
        "",
    )
    assert (second.actor_label, second.before, second.after, second.note) == (
        "系统",
        None,
        None,
        '第3名 / 12, "quoted"',
    )
    assert first.at == AT
    assert second.at == AT
    assert (first.target_type, first.ip, first.employee_id) == ("", None, None)


def test_a_frame_naming_an_unknown_field_or_missing_a_required_one_is_refused() -> None:
    # given a frame with a field the model lacks, and notifications without a recipient
    unknown = pl.DataFrame({"actor_label": ["hr"], "action": ["x"], "colour": ["red"]})
    missing = pl.DataFrame({"title": ["x"]})

    # when / then: nothing is written and the error names the field
    with pytest.raises(ValueError, match="colour"):
        insert_frame(AuditEvent, unknown)
    with pytest.raises(ValueError, match="recipient_id"):
        insert_frame(Notification, missing)
    assert AuditEvent.objects.filter(action="x").count() == 0
    assert Notification.objects.filter(title="x").count() == 0


def test_an_empty_frame_writes_nothing_and_still_has_its_id_column() -> None:
    empty = pl.DataFrame(schema={"actor_label": pl.Utf8, "action": pl.Utf8})
    written = insert_frame(AuditEvent, empty, with_pks=True)
    assert written.height == 0
    assert "id" in written.columns


def test_bulk_insert_with_pks_gives_every_instance_its_row_id() -> None:
    # given a user and three unsaved notifications
    user = User.objects.create(username="ada")
    notes = [Notification(recipient=user, title=f"t{i}", key=f"k{i}") for i in range(3)]

    # when they are inserted with primary keys
    assert bulk_insert(Notification, notes, with_pks=True) == 3

    # then each instance knows the id of its own row
    stored = dict(Notification.objects.filter(recipient=user).values_list("pk", "title"))
    assert {n.pk: n.title for n in notes} == stored


def test_bulk_insert_of_a_taken_key_raises_integrity_error_and_writes_nothing() -> None:
    # given a notification with key "k"
    user = User.objects.create(username="bo")
    Notification.objects.create(recipient=user, title="first", key="k")
    again = [
        Notification(recipient=user, title="new", key="n"),
        Notification(recipient=user, title="dup", key="k"),
    ]

    # when a batch repeating that key is inserted
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Notification, again, with_pks=True)

    # then the whole batch is refused
    assert list(Notification.objects.filter(recipient=user).values_list("title", flat=True)) == [
        "first"
    ]

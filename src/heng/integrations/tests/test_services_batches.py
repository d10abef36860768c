"""Batches end to end through the services: every bad input and fault ends with the whole batch
committed or none of it, a clear report, and no duplicate on retry."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from heng.core.errors import ValidationFailed
from heng.integrations import writers
from heng.integrations.errors import AlreadyCommitted, BatchRefused
from heng.integrations.files import table_from_records
from heng.integrations.models import Batch, Fact, QuarantinedRow
from heng.integrations.selectors import quarantine_csv
from heng.integrations.services import (
    batch_commit,
    batch_ingest,
    batch_map,
    batch_preview,
    batch_revoke,
    batch_stage_upload,
)

HEADER = "工号,日期,播放量,浏览量,订单数,account\n"
ROWS = ["T001,2026-01-05,100,50,5,", "T002,2026-01-05,40,20,1,", "T001,2026-01-06,300,150,10,"]


def stage(
    source: Any, text: str, actor: Any, *, encoding: str = "utf-8", name: str = "upload.csv"
) -> Batch:
    return batch_stage_upload(
        source=source,
        file=ContentFile(text.encode(encoding), name=name),
        filename=name,
        actor=actor,
    )


def counts(batch: Batch) -> tuple[int, ...]:
    batch.refresh_from_db()
    return (
        batch.received,
        batch.test_rows,
        batch.duplicates,
        batch.quarantined,
        batch.committed,
        batch.facts,
    )


def test_a_gbk_file_with_chinese_headers_maps_itself_previews_and_commits(
    douyin: Any, world: Any
) -> None:
    batch = stage(douyin, HEADER + "\n".join(ROWS) + "\n", world.users["hr"], encoding="gbk")
    # the Chinese titles are recognised: 工号 → employee_no, 播放量 → plays …
    assert batch.mapping == {
        "employee_no": "工号",
        "date": "日期",
        "account": "account",
        "plays": "播放量",
        "views": "浏览量",
        "orders": "订单数",
    }
    batch = batch_preview(batch=batch, actor=world.users["hr"])
    assert counts(batch) == (3, 0, 0, 0, 3, 9)
    assert not Fact.objects.exists()
    batch = batch_commit(batch_id=batch.pk)
    assert batch.status == "committed"
    assert Fact.objects.count() == 9
    assert sorted(Fact.objects.filter(metric__code="plays").values_list("value", flat=True)) == [
        40,
        100,
        300,
    ]


def test_each_kind_of_bad_row_is_quarantined_with_its_reason(douyin: Any, world: Any) -> None:
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    text = (
        HEADER
        + "\n".join(
            [
                ROWS[0],
                "T999,2026-01-05,1,1,1,",  # unknown employee
                f"T001,{future},1,1,1,",  # future date
                "T001,2026-01-07,-5,1,1,",  # negative count
                "T001,2026-01-08,abc,1,1,",  # text where a number belongs
                "T001,2026-13-01,1,1,1,",  # not a date
                "T001,2026-01-09,1.5,1,1,",  # plays are whole numbers
                "T002,2026-01-09,,,,",  # nothing to record
            ]
        )
        + "\n"
    )
    batch = batch_commit(batch_id=stage(douyin, text, world.users["hr"]).pk)
    assert counts(batch) == (8, 0, 0, 7, 1, 3)
    reasons = {q.row_no: [r["code"] for r in q.reasons] for q in QuarantinedRow.objects.all()}
    assert reasons == {
        3: ["unknown_employee"],
        4: ["future_date"],
        5: ["below_min"],
        6: ["not_a_number"],
        7: ["bad_date"],
        8: ["not_integer"],
        9: ["no_values"],
    }
    assert QuarantinedRow.objects.get(row_no=6).raw["播放量"] == "abc"


def test_test_records_and_duplicates_are_dropped_and_counted(erp: Any, world: Any) -> None:
    rows = [
        {
            "employee_no": "T001",
            "date": "2026-01-05",
            "metric": "revenue",
            "value": 100,
            "order_id": "A1",
        },
        {
            "employee_no": "T001",
            "date": "2026-01-05",
            "metric": "revenue",
            "value": 100,
            "order_id": "A1",
        },  # the same order twice
        {
            "employee_no": "T001",
            "date": "2026-01-05",
            "metric": "revenue",
            "value": 999,
            "order_id": "A2",
            "is_test": "1",
        },  # a test order
        {
            "employee_no": "T002",
            "date": "2026-01-06",
            "metric": "revenue",
            "value": 50,
            "order_id": "A3",
            "is_test": "0",
        },
        {
            "employee_no": "T002",
            "date": "2026-01-06",
            "metric": "refunds",
            "value": 5,
            "order_id": "A4",
        },  # not a metric of this source
    ]
    batch = batch_ingest(source=erp, table=table_from_records(rows), via="api", actor=None).batch
    assert counts(batch) == (5, 1, 1, 1, 2, 2)
    assert QuarantinedRow.objects.get().reasons[0]["code"] == "unknown_metric"
    # a later batch repeating order A3 drops it as a duplicate of what was delivered
    again = batch_ingest(
        source=erp,
        table=table_from_records(
            [
                rows[3],
                {
                    "employee_no": "T002",
                    "date": "2026-01-07",
                    "metric": "revenue",
                    "value": 70,
                    "order_id": "A5",
                },
            ]
        ),
        via="api",
        actor=None,
    ).batch
    assert counts(again) == (2, 0, 1, 0, 1, 1)
    assert Fact.objects.count() == 3
    # the report names the dropped rows: row 2 of the first batch repeated row 1; row 1 of
    # the second had been delivered before
    assert batch.report["duplicate_rows"] == [{"row": 2, "same_as": 1}]
    assert again.report["duplicate_rows"] == [{"row": 1, "same_as": None}]


def test_committing_twice_or_uploading_the_same_file_again_writes_nothing_new(
    douyin: Any, world: Any
) -> None:
    text = HEADER + "\n".join(ROWS) + "\n"
    first = batch_commit(batch_id=stage(douyin, text, world.users["hr"]).pk)
    again = batch_commit(batch_id=first.pk)
    assert again.pk == first.pk
    assert Fact.objects.count() == 9
    twin = stage(douyin, text, world.users["hr"])
    with pytest.raises(AlreadyCommitted) as caught:
        batch_commit(batch_id=twin.pk)
    assert f"#{first.pk}" in caught.value.message
    assert Fact.objects.count() == 9
    assert Batch.objects.get(pk=twin.pk).status == "staged"


def test_an_all_or_nothing_upload_with_a_bad_row_is_refused_and_writes_nothing(
    douyin: Any, world: Any
) -> None:
    batch = stage(douyin, HEADER + ROWS[0] + "\nT999,2026-01-05,1,1,1,\n", world.users["hr"])
    with pytest.raises(BatchRefused) as caught:
        batch_commit(batch_id=batch.pk, strict=True)
    assert "row 3" in caught.value.fields
    batch.refresh_from_db()
    assert (batch.status, batch.quarantined) == ("refused", 1)
    assert not Fact.objects.exists()
    assert not QuarantinedRow.objects.exists()


def test_a_batch_of_nothing_but_errors_beyond_the_limit_is_refused(
    douyin: Any, world: Any, settings: Any
) -> None:
    settings.HENG_INGEST_MAX_QUARANTINE_ROWS = 1
    text = HEADER + "T998,2026-01-05,1,1,1,\nT999,2026-01-05,1,1,1,\n"
    with pytest.raises(BatchRefused) as caught:
        batch_commit(batch_id=stage(douyin, text, world.users["hr"]).pk)
    assert "wrong file" in caught.value.message
    assert not Fact.objects.exists()
    assert not QuarantinedRow.objects.exists()


def test_a_header_only_file_is_refused(douyin: Any, world: Any) -> None:
    with pytest.raises(BatchRefused):
        batch_commit(batch_id=stage(douyin, HEADER, world.users["hr"]).pk)
    assert not Fact.objects.exists()


def test_a_mapping_without_the_required_fields_is_refused(douyin: Any, world: Any) -> None:
    batch = stage(douyin, "who,when,plays\nT001,2026-01-05,1\n", world.users["hr"])
    with pytest.raises(ValidationFailed) as caught:
        batch_map(batch=batch, mapping={"plays": "plays"}, actor=world.users["hr"])
    assert set(caught.value.fields) == {"employee_no", "date"}
    batch = batch_map(
        batch=batch,
        mapping={"employee_no": "who", "date": "when", "plays": "plays"},
        actor=world.users["hr"],
    )
    # the choice is remembered for the source's next upload
    douyin.refresh_from_db()
    assert douyin.column_mapping["employee_no"] == "who"
    assert stage(douyin, "who,when,plays\n", world.users["hr"]).mapping["employee_no"] == "who"


def test_corrected_quarantine_rows_resubmitted_later_are_resolved(douyin: Any, world: Any) -> None:
    hr = world.users["hr"]
    first = batch_commit(
        batch_id=stage(douyin, HEADER + ROWS[0] + "\nT001,2026-01-06,abc,1,1,\n", hr).pk
    )
    assert first.quarantined == 1
    # the downloaded quarantine file, corrected and uploaded again
    fixed = quarantine_csv(first).decode("utf-8-sig").replace("abc", "120")
    second = batch_commit(batch_id=stage(douyin, fixed, hr, name="fixed.csv").pk)
    assert (second.committed, second.quarantined) == (1, 0)
    assert QuarantinedRow.objects.get().resolved_by_id == second.pk
    assert Fact.objects.filter(metric__code="plays", date="2026-01-06").get().value == 120


def test_revoking_a_batch_removes_its_values_and_frees_its_keys(douyin: Any, world: Any) -> None:
    hr = world.users["hr"]
    batch = batch_commit(batch_id=stage(douyin, HEADER + "\n".join(ROWS) + "\n", hr).pk)
    batch_revoke(batch=batch, actor=hr)
    assert not Fact.objects.exists()
    assert Batch.objects.get(pk=batch.pk).status == "revoked"
    again = batch_ingest(
        source=douyin,
        table=table_from_records([{"employee_no": "T001", "date": "2026-01-05", "plays": 101}]),
        via="api",
        actor=hr,
    ).batch
    assert (again.committed, again.duplicates) == (1, 0)


@pytest.fixture
def kill_after_first_chunk(monkeypatch: Any) -> None:
    """The worker dies after part of the facts went to the database. (The commit's atomic
    block runs as a savepoint inside the test's transaction: rolling it back is exactly what
    the database does for a process that died mid-transaction.)"""
    monkeypatch.setattr(writers, "INSERT_CHUNK", 2)
    monkeypatch.setattr(writers, "COPY_ROWS", 2)
    calls = {"n": 0}
    real_insert, real_copy = writers.insert_chunk, writers.write_chunk

    def dying(real: Any) -> Any:
        def write(*args: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 2:
                raise SystemError("worker killed")
            real(*args)

        return write

    monkeypatch.setattr(writers, "insert_chunk", dying(real_insert))
    monkeypatch.setattr(writers, "write_chunk", dying(real_copy))


def test_an_upload_killed_half_way_leaves_nothing_and_its_retry_commits_once(
    douyin: Any, world: Any, kill_after_first_chunk: None, monkeypatch: Any
) -> None:
    batch = stage(
        douyin, HEADER + "\n".join(ROWS) + "\nT002,2026-01-06,abc,,,\n", world.users["hr"]
    )
    with pytest.raises(SystemError):
        batch_commit(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "worker killed" in batch.error
    assert not Fact.objects.exists()
    assert not QuarantinedRow.objects.exists()
    monkeypatch.setattr(
        writers, "insert_chunk", lambda cur, sql, chunk: cur.executemany(sql, chunk.iter_rows())
    )
    monkeypatch.setattr(writers, "write_chunk", lambda copy, chunk: copy.write(chunk))
    batch = batch_commit(batch_id=batch.pk)
    batch_commit(batch_id=batch.pk)
    assert (batch.status, Fact.objects.count(), QuarantinedRow.objects.count()) == (
        "committed",
        9,
        1,
    )


def test_a_push_killed_half_way_leaves_nothing_and_the_retried_key_commits_once(
    douyin: Any, world: Any, kill_after_first_chunk: None, monkeypatch: Any
) -> None:
    rows = [
        {"employee_no": "T001", "date": f"2026-01-0{d}", "plays": d, "views": d}
        for d in range(1, 6)
    ]
    with pytest.raises(SystemError):
        batch_ingest(
            source=douyin,
            table=table_from_records(rows),
            via="api",
            actor=None,
            idempotency_key="retry-me",
            content_hash="h",
        )
    assert not Batch.objects.exists()
    assert not Fact.objects.exists()
    monkeypatch.setattr(
        writers, "insert_chunk", lambda cur, sql, chunk: cur.executemany(sql, chunk.iter_rows())
    )
    monkeypatch.setattr(writers, "write_chunk", lambda copy, chunk: copy.write(chunk))
    for _ in range(2):
        batch_ingest(
            source=douyin,
            table=table_from_records(rows),
            via="api",
            actor=None,
            idempotency_key="retry-me",
            content_hash="h",
        )
    assert (Batch.objects.count(), Fact.objects.count()) == (1, 10)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_pushes_with_one_key_write_one_batch(douyin: Any, world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs two real connections (PostgreSQL)")
    rows = [{"employee_no": "T001", "date": "2026-01-05", "plays": 1}]
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def push() -> None:
        try:
            barrier.wait()
            results.append(
                batch_ingest(
                    source=douyin,
                    table=table_from_records(rows),
                    via="api",
                    actor=None,
                    idempotency_key="same",
                    content_hash="h",
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.replayed for r in results) == [False, True]
    assert (Batch.objects.count(), Fact.objects.count()) == (1, 1)


def test_a_stored_payload_survives_for_lineage(douyin: Any, world: Any) -> None:
    batch = batch_ingest(
        source=douyin,
        table=table_from_records([{"employee_no": "T001", "date": "2026-01-05", "plays": 7}]),
        via="api",
        actor=None,
    ).batch
    assert Path(batch.file.path).exists()
    from heng.integrations.selectors import source_rows

    assert source_rows(batch, [1]) == {
        1: {"employee_no": "T001", "date": "2026-01-05", "plays": "7"}
    }


FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
BAD_INPUTS = {
    "gbk": ((HEADER + ROWS[0] + "\n").encode("gbk"), "committed"),
    "utf8_bom": (("\ufeff" + HEADER + ROWS[0] + "\n").encode("utf-8"), "committed"),
    "text_for_number": ((HEADER + ROWS[0] + "\nT002,2026-01-05,很多,1,1,\n").encode(), "committed"),
    "unknown_employee": ((HEADER + ROWS[0] + "\nT404,2026-01-05,1,1,1,\n").encode(), "committed"),
    "future_date": ((HEADER + ROWS[0] + f"\nT002,{FUTURE},1,1,1,\n").encode(), "committed"),
    "negative_count": ((HEADER + ROWS[0] + "\nT002,2026-01-05,-1,1,1,\n").encode(), "committed"),
    "malformed_csv": ((HEADER + 'T001,"2026-01-05,1\nT002,x\n').encode(), "refused"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_every_bad_input_ends_whole_or_nothing_and_a_retry_adds_nothing(
    douyin: Any, world: Any, case: str
) -> None:
    data, outcome = BAD_INPUTS[case]
    hr = world.users["hr"]

    def attempt() -> str:
        try:
            batch = batch_stage_upload(
                source=douyin, file=ContentFile(data, name="f.csv"), filename="f.csv", actor=hr
            )
            return batch_commit(batch_id=batch.pk).status
        except (ValidationFailed, AlreadyCommitted) as exc:
            return exc.code

    first = attempt()
    facts, quarantined = Fact.objects.count(), QuarantinedRow.objects.count()
    if outcome == "committed":
        assert first == "committed"
        # the good row: T001 on 5 Jan (plays, views, orders) — whole, never part of a row
        assert facts == 3
        assert quarantined == (0 if case in ("gbk", "utf8_bom") else 1)
    else:
        assert first == "bad_csv"
        assert (facts, quarantined) == (0, 0)
    again = attempt()
    assert again in ("already_committed", "bad_csv")
    assert (Fact.objects.count(), QuarantinedRow.objects.count()) == (facts, quarantined)

"""Reads into Polars: ``read_frame`` on both databases, and its per-query settings."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import DatabaseError, connection

from heng.core.frames import read_frame

pytestmark = pytest.mark.django_db

SCHEMA = {"n": pl.Int64, "label": pl.Utf8}


def _settings() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('work_mem'), current_setting('jit_inline_above_cost')"
        )
        work_mem, inline = cursor.fetchone()
        return str(work_mem), str(inline)


def test_a_query_reads_into_a_typed_frame_with_its_parameters_bound() -> None:
    # when a query with a text parameter holding a quote and a comma is read
    frame = read_frame("SELECT 7, %s UNION ALL SELECT 8, NULL", ['第3名, "x"\'s'], SCHEMA)
    # then the values arrive typed and unchanged, NULL as null
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.rows() == [(7, '第3名, "x"\'s'), (8, None)]


def test_booleans_arrive_as_booleans_on_both_databases() -> None:
    # when true, false and NULL are read as a Boolean column (PostgreSQL's CSV says t/f)
    frame = read_frame(
        "SELECT 1, 1 = 1 UNION ALL SELECT 2, 1 = 0 UNION ALL SELECT 3, NULL ORDER BY 1",
        [],
        {"n": pl.Int64, "flag": pl.Boolean},
    )
    # then they are Polars booleans, NULL as null
    assert frame.rows() == [(1, True), (2, False), (3, None)]


def test_an_empty_answer_is_an_empty_frame_with_the_schema() -> None:
    frame = read_frame("SELECT 1, 'a' WHERE 1 = 0", [], SCHEMA)
    assert (frame.height, frame.schema) == (0, pl.Schema(SCHEMA))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="settings are PostgreSQL's")
def test_settings_apply_to_the_one_read_and_are_restored_after() -> None:
    # given the session's own settings
    before = _settings()
    assert before[0] != "96MB"
    assert before[1] != "-1"
    # when a read asks for 96MB and no JIT inlining
    frame = read_frame(
        "SELECT 1, current_setting('work_mem') || ' ' || current_setting('jit_inline_above_cost')",
        [],
        SCHEMA,
        tuning={"work_mem": "96MB", "jit_inline_above_cost": "-1"},
    )
    # then the query ran with them, and the session has its own settings back
    assert frame.rows() == [(1, "96MB -1")]
    assert _settings() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="settings are PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # autocommit, as a read outside any atomic block
def test_a_failed_read_outside_a_transaction_still_restores_the_settings() -> None:
    before = _settings()
    with pytest.raises(DatabaseError):
        read_frame(
            "SELECT 1 / 0, 'x'",
            [],
            SCHEMA,
            tuning={"work_mem": "96MB", "jit_inline_above_cost": "-1"},
        )
    assert _settings() == before

"""Reads into Polars: ``read_frame`` on both databases, and its per-query memory setting."""

from __future__ import annotations

import polars as pl
import pytest
from django.db import DatabaseError, connection

from heng.core.frames import read_frame

pytestmark = pytest.mark.django_db

SCHEMA = {"n": pl.Int64, "label": pl.Utf8}


def _work_mem() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem')")
        return str(cursor.fetchone()[0])


def test_a_query_reads_into_a_typed_frame_with_its_parameters_bound() -> None:
    # when a query with a text parameter holding a quote and a comma is read
    frame = read_frame("SELECT 7, %s UNION ALL SELECT 8, NULL", ['第3名, "x"\'s'], SCHEMA)
    # then the values arrive typed and unchanged, NULL as null
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.rows() == [(7, '第3名, "x"\'s'), (8, None)]


def test_an_empty_answer_is_an_empty_frame_with_the_schema() -> None:
    frame = read_frame("SELECT 1, 'a' WHERE 1 = 0", [], SCHEMA)
    assert (frame.height, frame.schema) == (0, pl.Schema(SCHEMA))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="work_mem is PostgreSQL's")
def test_work_mem_applies_to_the_one_read_and_is_restored_after() -> None:
    # given the session's own setting
    before = _work_mem()
    # when a read asks for 96MB
    frame = read_frame("SELECT 1, current_setting('work_mem')", [], SCHEMA, work_mem="96MB")
    # then the query ran with it, and the session has its own setting back
    assert frame.rows() == [(1, "96MB")]
    assert _work_mem() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="work_mem is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # autocommit, as a read outside any atomic block
def test_a_failed_read_outside_a_transaction_still_restores_work_mem() -> None:
    before = _work_mem()
    with pytest.raises(DatabaseError):
        read_frame("SELECT 1 / 0, 'x'", [], SCHEMA, work_mem="96MB")
    assert _work_mem() == before

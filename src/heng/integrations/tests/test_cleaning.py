"""The cleaning pipeline on its own (pure Polars, no database): the fast paths it takes for big
files give exactly what the general parsers give."""

from __future__ import annotations

import datetime as dt

import polars as pl

from heng.integrations.cleaning import MetricSpec, SourceSpec, clean
from heng.integrations.files import ROW

SUBJECTS = pl.DataFrame({"key": ["E1", "E2"], "subject_id": [11, 12]})
LONG = SourceSpec(
    subject_field="employee_no",
    layout="long",
    metrics=(
        MetricSpec(id=1, code="orders", value_type="integer", min_value=0),
        MetricSpec(id=2, code="revenue", value_type="decimal"),
    ),
    natural_key=("date", "employee_no"),
)


def _frame(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            ROW: list(range(2, len(rows) + 2)),
            "employee_no": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "metric": [r[2] for r in rows],
            "value": [r[3] for r in rows],
        },
        schema_overrides={ROW: pl.Int64},
    )


def _clean(rows: list[tuple[str, str, str, str]], seen: list[str] | None = None) -> object:
    return clean(
        _frame(rows),
        LONG,
        subjects=SUBJECTS,
        existing_keys=lambda keys: pl.Series("natural_key", seen or [], dtype=pl.Utf8),
        today=dt.date(2026, 12, 1),
    )


def test_numbers_with_separators_percent_and_sign_parse_like_plain_ones() -> None:
    # given plain numbers mixed with "1,234.5", "12%", "+7", "１２" and text
    cleaned = _clean(
        [
            ("E1", "2026-03-01", "revenue", "5"),
            ("E1", "2026-03-02", "revenue", "1,234.5"),
            ("E1", "2026-03-03", "revenue", "12%"),
            ("E1", "2026-03-04", "revenue", "+7"),
            ("E1", "2026-03-05", "revenue", "1，000"),
            ("E1", "2026-03-06", "revenue", "abc"),
        ]
    )
    # then each value is the number people meant, and only "abc" is quarantined
    assert cleaned.facts["value"].to_list() == [5.0, 1234.5, 12.0, 7.0, 1000.0]  # type: ignore[attr-defined]
    assert cleaned.quarantine[ROW].to_list() == [7]  # type: ignore[attr-defined]
    reasons = cleaned.quarantine["reasons"].to_list()[0]  # type: ignore[attr-defined]
    assert [(r["code"], r["detail"]) for r in reasons] == [("not_a_number", "abc")]


def test_each_date_format_is_read_when_a_file_mixes_them() -> None:
    # given the same day written five ways, and a date that is no date
    cleaned = _clean(
        [
            ("E1", "2026-03-01", "orders", "1"),
            ("E1", "2026/03/02", "orders", "1"),
            ("E1", "20260303", "orders", "1"),
            ("E1", "2026年03月04日", "orders", "1"),
            ("E1", "2026.03.05", "orders", "1"),
            ("E1", "2026-03-06 08:30:00", "orders", "1"),
            ("E1", "March 7", "orders", "1"),
        ]
    )
    # then every readable form is its day; the unreadable one is quarantined
    assert cleaned.facts["date"].to_list() == [  # type: ignore[attr-defined]
        dt.date(2026, 3, d) for d in range(1, 7)
    ]
    assert cleaned.quarantine[ROW].to_list() == [8]  # type: ignore[attr-defined]


def test_a_key_sent_three_times_keeps_its_first_row_and_names_it_for_the_others() -> None:
    # given one key on rows 2, 4 and 6, another on row 3, and one sent by an earlier batch
    earlier = "2026-03-02\x1fE2\x1forders"
    cleaned = _clean(
        [
            ("E1", "2026-03-01", "orders", "1"),
            ("E2", "2026-03-01", "orders", "2"),
            ("E1", "2026-03-01", "orders", "3"),
            ("E2", "2026-03-02", "orders", "4"),
            ("E1", "2026-03-01", "orders", "5"),
        ],
        seen=[earlier],
    )
    # then rows 2 and 3 are kept; 4 and 6 repeat row 2; 5 was delivered before (same_as null)
    assert cleaned.facts["row_no"].to_list() == [2, 3]  # type: ignore[attr-defined]
    assert cleaned.facts["value"].to_list() == [1.0, 2.0]  # type: ignore[attr-defined]
    assert cleaned.duplicate_rows.rows() == [(4, 2), (5, None), (6, 2)]  # type: ignore[attr-defined]
    assert cleaned.duplicates == 3  # type: ignore[attr-defined]

"""Properties of the pure document layer (no database).

- Any canonical document written as YAML reads back as the same document, and writing it
  again gives the same bytes — whatever the text (Chinese, quotes, "null", "yes", "#", new
  lines) and whatever the numbers (up to 4 decimals, large targets).
- Override precedence does not depend on the order overrides are stored in.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from heng.performance.documents.model import FORMAT, Problems, number
from heng.performance.documents.resolve import ordered
from heng.performance.documents.yamlio import dump_document, parse_text

text = st.one_of(
    st.text(
        alphabet=st.sampled_from(list("abcXYZ 销售额华南: #-'\"\n\t{}[],&*!|>%@`~.0123")),
        max_size=12,
    ),
    st.sampled_from(
        [
            "null",
            "yes",
            "No",
            "~",
            "1e3",
            "0x1F",
            "2025-11-01",
            "12:30",
            "- a",
            " lead",
            "trail ",
            "a\n\nb\n",
            "\n",
            "'",
            "=",
            "<<",
        ]
    ),
)
names = text.filter(lambda t: bool(t.strip()))
codes = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,8}", fullmatch=True)
weights = st.decimals(min_value=0, max_value=100, places=4).map(number)
targets = st.one_of(
    st.none(), st.decimals(min_value=Decimal("0.0001"), max_value=10**9, places=4).map(number)
)
dates = st.one_of(
    st.none(), st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(lambda d: d.isoformat())
)
params = st.dictionaries(
    st.sampled_from(["cap", "floor", "minimum", "mode", "steps"]),
    st.one_of(
        weights,
        st.sampled_from(["all_or_nothing", "proportional"]),
        st.just([[90, 60], [100, 100]]),
    ),
    max_size=3,
)


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    indicator_codes = sorted(draw(st.sets(codes, min_size=1, max_size=4)))
    indicators = [
        {
            "code": code,
            "name": draw(names),
            "name_en": draw(text),
            "category": "result",
            "direction": draw(st.sampled_from(["higher", "lower"])),
            "unit": draw(text),
            "value_source": {"kind": "metric", "metric": draw(text), "formula": draw(text)},
            "rule": "linear",
            "params": dict(sorted(draw(params).items())),
            "description": draw(text),
        }
        for code in indicator_codes
    ]
    lines = [
        {
            "indicator": code,
            "weight": draw(weights),
            "rule": draw(st.sampled_from([None, "bands"])),
            "params": draw(st.one_of(st.none(), params.map(lambda p: dict(sorted(p.items()))))),
            "target": {
                "method": draw(st.sampled_from(["assigned", "fixed"])),
                "value": draw(targets),
            },
            "source_set": draw(st.sampled_from(["main", "store", "hq"])),
        }
        for code in indicator_codes
    ]
    overrides = sorted(
        (
            {
                "code": code,
                "name": draw(text),
                "scope": {
                    "unit": draw(st.one_of(st.none(), codes)),
                    "position": None,
                    "employee": None,
                },
                "period": {"from": draw(dates), "to": draw(dates)},
                "note": draw(text),
                "changes": [
                    {
                        "indicator": indicator_codes[0],
                        "action": "set",
                        "weight": draw(weights),
                        "rule": None,
                        "params": None,
                        "target": draw(
                            st.one_of(st.none(), st.just({"method": "fixed", "value": 1}))
                        ),
                        "source_set": None,
                    }
                ],
            }
            for code in draw(st.sets(codes, max_size=3))
        ),
        key=lambda o: o["code"],
    )
    return {
        "format": FORMAT,
        "scheme": {
            "code": draw(codes),
            "name": draw(names),
            "name_en": draw(text),
            "description": draw(text),
            "framework": "F",
            "applies_to": [{"unit": None, "position": "p"}],
        },
        "framework": {
            "code": "F",
            "name": "框架",
            "name_en": "",
            "description": draw(text),
            "category_weights": draw(
                st.one_of(st.none(), st.just({"result": 40, "process": 30, "growth": 30}))
            ),
            "kpi_weight": 70,
            "review_weight": 30,
            "review_scale": [1, 5],
            "review_group_weights": None,
            "bonus_cap": draw(st.one_of(st.none(), weights)),
            "rating_bands": [{"code": "ok", "min": 0, "name_zh": "合格", "name_en": "Pass"}],
            "target_mix": [],
        },
        "indicators": indicators,
        "lines": lines,
        "overrides": overrides,
    }


@settings(max_examples=60, deadline=None)
@given(documents())
def test_yaml_round_trip_is_lossless_and_byte_identical(document: dict[str, Any]) -> None:
    text_once = dump_document(document)
    problems = Problems()
    parsed, _line_of = parse_text(text_once, problems)
    assert not problems, problems
    assert parsed == document
    assert dump_document(parsed) == text_once


def _override(code: str, unit: str | None, start: str | None, end: str | None) -> dict[str, Any]:
    return {
        "code": code,
        "scope": {"unit": unit, "position": None, "employee": None},
        "period": {"from": start, "to": end},
        "changes": [],
    }


@given(st.randoms(use_true_random=False))
def test_precedence_does_not_depend_on_storage_order(rnd: random.Random) -> None:
    depth = {"R": 2, "S": 4}
    items = [
        _override("a", None, "2025-11-01", "2025-11-30"),
        _override("b", None, "2025-11-11", "2025-11-17"),
        _override("c", "R", None, None),
        _override("d", "S", None, None),
        _override("e", None, "2025-11-11", "2025-11-17"),
        _override("f", None, None, None),
    ]
    shuffled = items[:]
    rnd.shuffle(shuffled)
    result = [o["code"] for o in ordered(shuffled, lambda code: depth[code])]
    # store › region › 7-day periods (b before e by code) › 30-day period › no scope
    assert result == ["d", "c", "b", "e", "a", "f"]

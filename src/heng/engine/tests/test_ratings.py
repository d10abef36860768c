"""Ratings, rank, percentile and the distribution check (B7)."""

from __future__ import annotations

import pytest

from heng.engine import EngineError, ScoringConfig
from heng.engine.tests.builders import line, run


def _totals(
    scores: dict[str, float],
    config: ScoringConfig | None = None,
    employees: list[dict[str, str]] | None = None,
):  # type: ignore[no-untyped-def]
    # one manual line of weight 100: the total is the typed score
    return run(
        [line("m", "manual", 100)],
        [(e, "m", s) for e, s in scores.items()],
        config=config,
        employees=employees,
    )


def test_rating_bands_by_threshold() -> None:
    result = _totals({"A": 90, "B": 89.99, "C": 80, "D": 60, "E": 59.99, "F": 0})
    assert result.totals["rating"].to_list() == [
        "excellent",
        "good",
        "good",
        "pass",
        "unqualified",
        "unqualified",
    ]
    assert result.totals["rating_zh"].to_list() == [
        "优秀",
        "良好",
        "良好",
        "合格",
        "不合格",
        "不合格",
    ]


def test_the_total_is_rounded_half_even_to_two_decimals_before_rating() -> None:
    # 89.995 → 90.00 (half to even: 8999.5 → 9000) → excellent; 89.985 → 89.98 → good
    result = _totals({"A": 89.995, "B": 89.985})
    assert result.totals.select("total", "rating").rows() == [(90.0, "excellent"), (89.98, "good")]


def test_rank_is_competition_ranking_with_ties_listed_by_employee() -> None:
    # 90, 85, 85, 70 → ranks 1, 2, 2, 4; percentile (n − rank) / (n − 1) × 100
    result = _totals({"D": 85, "A": 70, "C": 90, "B": 85})
    ranking = result.ranking()
    assert ranking.select("employee_id", "rank", "percentile").rows() == [
        ("C", 1, 100.0),
        ("B", 2, 66.6667),
        ("D", 2, 66.6667),
        ("A", 4, 0.0),
    ]


def test_rank_within_a_group_attribute() -> None:
    people = [
        {"employee_id": e, "scheme": "s", "unit": u}
        for e, u in (("A", "gz"), ("B", "gz"), ("C", "bj"))
    ]
    config = ScoringConfig.create(rank_by="unit")
    result = _totals({"A": 70, "B": 80, "C": 60}, config=config, employees=people)
    # within gz: B 1st, A 2nd; C alone in bj: 1st, percentile 100
    assert result.totals.select("employee_id", "rank", "group_size", "percentile").rows() == [
        ("A", 2, 2, 0.0),
        ("B", 1, 2, 100.0),
        ("C", 1, 1, 100.0),
    ]
    assert result.ranking(by="unit")["employee_id"].to_list() == ["C", "B", "A"]


MIX = ScoringConfig.create(
    target_mix=[
        {"label": "优秀", "bands": ["excellent"], "share": 20},
        {"label": "合格", "bands": ["good", "pass"], "share": 70},
        {"label": "不合格", "bands": ["unqualified"], "share": 10},
    ]
)


def test_distribution_against_a_20_70_10_target_mix() -> None:
    # 10 people: 3 excellent, 6 good/pass, 1 unqualified → 30/60/10 vs 20/70/10
    scores = {f"E{i:02d}": s for i, s in enumerate([95, 92, 91, 85, 82, 80, 75, 65, 61, 40])}
    dist = _totals(scores, config=MIX).distribution()
    assert dist.select(
        "bucket", "count", "share", "target_share", "target_count", "share_diff", "status"
    ).rows() == [
        ("优秀", 3, 30.0, 20.0, 2.0, 10.0, "over"),
        ("合格", 6, 60.0, 70.0, 7.0, -10.0, "under"),
        ("不合格", 1, 10.0, 10.0, 1.0, 0.0, "ok"),
    ]


def test_distribution_per_group_lists_empty_buckets_and_honours_tolerance() -> None:
    people = [
        {"employee_id": e, "scheme": "s", "region": r}
        for e, r in (("A", "north"), ("B", "north"), ("C", "south"))
    ]
    dist = _totals({"A": 95, "B": 70, "C": 70}, config=MIX, employees=people).distribution(
        by="region", tolerance=35
    )
    # north: 1 of 2 excellent = 50% (+30 pp, within 35 → ok); south: 0 excellent (−20 → ok)
    assert dist.select("group", "bucket", "count", "share", "status").rows() == [
        ("north", "优秀", 1, 50.0, "ok"),
        ("north", "合格", 1, 50.0, "ok"),
        ("north", "不合格", 0, 0.0, "ok"),
        ("south", "优秀", 0, 0.0, "ok"),
        ("south", "合格", 1, 100.0, "ok"),
        ("south", "不合格", 0, 0.0, "ok"),
    ]


def test_distribution_without_a_target_mix_reports_counts_only() -> None:
    dist = _totals({"A": 95, "B": 70}).distribution()
    assert dist.select("bucket", "count", "target_share", "status").rows() == [
        ("excellent", 1, None, None),
        ("good", 0, None, None),
        ("pass", 1, None, None),
        ("unqualified", 0, None, None),
    ]


def test_grouping_by_an_unknown_attribute_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        _totals({"A": 1}).distribution(by="planet")
    assert err.value.code == "column_missing"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {
                "rating_bands": [
                    {"code": "a", "min": 50},
                    {"code": "b", "min": 60},
                    {"code": "c", "min": 0},
                ]
            },
            "rating_bands_invalid",
        ),
        (
            {"rating_bands": [{"code": "a", "min": 50}, {"code": "b", "min": 10}]},
            "rating_bands_invalid",
        ),
        ({"target_mix": {"excellent": 20, "good": 70, "pass": 10}}, "target_mix_invalid"),
        (
            {"target_mix": {"excellent": 20, "good": 70, "pass": 5, "unqualified": 10}},
            "weights_not_100",
        ),
        ({"category_weights": {"result": 40, "process": 30, "growth": 29.99}}, "weights_not_100"),
        ({"kpi_weight": 70, "review_weight": 20}, "weights_not_100"),
        ({"review_scale": (5, 1)}, "review_scale_invalid"),
        ({"bonus_cap": -1}, "bonus_cap_invalid"),
    ],
)
def test_invalid_configuration_is_refused(kwargs: dict[str, object], code: str) -> None:
    with pytest.raises(EngineError) as err:
        ScoringConfig.create(**kwargs)  # type: ignore[arg-type]
    assert err.value.code == code

"""The formula language: what parses, what is refused (with the position), how it evaluates."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from heng.core.errors import ValidationFailed
from heng.integrations.formulas import Aggregate, Binary, Number, Unary, parse_formula


def evaluate(text: str, **columns: list[float | None]) -> list[float | None]:
    frame = pl.DataFrame({k: pl.Series(v, dtype=pl.Float64) for k, v in columns.items()})
    formula = parse_formula(text)
    return frame.select(formula.to_expr(lambda a: pl.col(a.metric))).to_series().to_list()


def test_a_ratio_of_sums_parses_into_two_aggregates() -> None:
    formula = parse_formula("sum(orders) / sum(views)")
    assert formula.root == Binary("/", Aggregate("sum", "orders"), Aggregate("sum", "views"))
    assert formula.metrics == {"orders", "views"}


def test_precedence_unary_minus_constants_and_qualified_names() -> None:
    formula = parse_formula("-2 * (douyin.plays - avg(x)) + 1.5")
    assert formula.root == Binary(
        "+",
        Binary(
            "*",
            Unary("-", Number(2.0)),
            Binary("-", Aggregate(None, "douyin.plays"), Aggregate("mean", "x")),
        ),
        Number(1.5),
    )


def test_every_function_of_the_language_is_accepted() -> None:
    for func in ("sum", "mean", "last", "count", "distinct", "min", "max"):
        assert parse_formula(f"{func}(m)").aggregates == (Aggregate(func, "m"),)


@pytest.mark.parametrize(
    ("text", "position", "words"),
    [
        ("sum(orders", 11, "expected ')'"),
        ("sum(orders) +", 14, "ends too early"),
        ("foo(x)", 1, "unknown function"),
        ("1 + __import__('os')", 16, "unexpected character"),
        ("sum(1)", 5, "one metric name"),
        ("orders views", 8, "unexpected 'views'"),
        ("", 1, "empty"),
        ("2 ** 3", 4, "unexpected '*'"),
    ],
)
def test_bad_formulas_are_refused_naming_the_position(text: str, position: int, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_formula(text)
    assert caught.value.code == "formula_invalid"
    assert f"position {position}:" in caught.value.message
    assert words in caught.value.message


def test_a_formula_nested_too_deep_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        parse_formula("(" * 60 + "1" + ")" * 60)


def test_arithmetic_is_vectorised_and_division_by_zero_is_null() -> None:
    # 5/50 = 0.1; 1/0 → null (not inf); null/4 → null
    assert evaluate("sum(o) / sum(v)", o=[5, 1, None], v=[50, 0, 4]) == [0.1, None, None]
    # (10 - 4) * 2 + 1 = 13
    assert evaluate("(sum(a) - sum(b)) * 2 + 1", a=[10], b=[4]) == [13.0]
    assert evaluate("-a", a=[3]) == [-3.0]


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False))
def test_a_ratio_never_yields_infinity_or_nan(a: float, b: float) -> None:
    result = evaluate("a / b", a=[a], b=[b])[0]
    assert result is None or (result == result and abs(result) != float("inf"))

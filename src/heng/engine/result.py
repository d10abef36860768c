"""The engine's output bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from heng.engine import columns as c
from heng.engine.config import ScoringConfig
from heng.engine.errors import EngineError
from heng.engine.explain import scorecard
from heng.engine.ratings import distribution, rank_within

__all__ = ["ScoreResult"]


@dataclass(frozen=True)
class ScoreResult:
    """Frames sorted by employee_id (then indicator / category / source set).

    - ``totals``: one row per employee (see docs/scoring.md for columns);
    - ``indicators``: the explanation, one row per employee × indicator;
    - ``categories`` and ``sets``: per employee × category / source set.
    """

    totals: pl.DataFrame
    indicators: pl.DataFrame
    categories: pl.DataFrame
    sets: pl.DataFrame
    config: ScoringConfig
    engine_version: str

    def ranking(self, by: str | None = None) -> pl.DataFrame:
        """Rank and percentile within an employee attribute (e.g. "unit"), or overall."""
        base = self.totals.drop(c.RANK, c.GROUP_SIZE, c.PERCENTILE)
        ranked = rank_within(base, by)
        keys = [by] if by is not None else []
        return ranked.sort([*keys, c.RANK, c.EMPLOYEE_ID]).select(
            c.EMPLOYEE_ID, *keys, c.TOTAL, c.RATING, c.RANK, c.GROUP_SIZE, c.PERCENTILE
        )

    def distribution(self, by: str | None = None, tolerance: float = 0.0) -> pl.DataFrame:
        """Rating mix per group against the configured target mix (B7)."""
        return distribution(self.totals, self.config, by, tolerance)

    def explain(self, employee_id: str) -> dict[str, Any]:
        """The scorecard of one employee (totals, categories, sets, indicators)."""
        card = scorecard(self.totals, self.categories, self.sets, self.indicators, employee_id)
        if card["total"] is None:
            raise EngineError(
                "employee_unknown",
                f"employee {employee_id!r} was not scored",
                {"employee_id": employee_id},
            )
        return card

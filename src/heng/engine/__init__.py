"""Heng's pure scoring engine: Polars in, Polars out, no Django.

    from heng.engine import ScoringConfig, score
    result = score(employees=..., lines=..., values=..., config=ScoringConfig.create())
    result.totals, result.indicators, result.categories, result.sets
    result.ranking(by="unit"), result.distribution(by="region"), result.explain("E01")

Frame columns are documented in docs/scoring.md and named in :mod:`heng.engine.columns`.
"""

from __future__ import annotations

from heng.engine import columns
from heng.engine.config import DEFAULT_RATING_BANDS, MixBucket, RatingBand, ScoringConfig
from heng.engine.engine import ENGINE_VERSION, input_hash, score
from heng.engine.errors import EngineError
from heng.engine.result import ScoreResult
from heng.engine.rules import RULES, CompiledRule, RulePlan, compile_rule

__all__ = [
    "DEFAULT_RATING_BANDS",
    "ENGINE_VERSION",
    "RULES",
    "CompiledRule",
    "EngineError",
    "MixBucket",
    "RatingBand",
    "RulePlan",
    "ScoreResult",
    "ScoringConfig",
    "columns",
    "compile_rule",
    "input_hash",
    "score",
]

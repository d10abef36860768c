"""A plain-Python, row-at-a-time statement of every rule's arithmetic.

It is deliberately independent of :class:`~heng.engine.rules.RulePlan` and the vectorised
kernel: tests and the benchmark compare the two, so a mistake in either shows up. It is
slow (a loop per row) and is never used to score in production.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from heng.engine.rules import (
    Bands,
    CompiledRule,
    Frequency,
    Linear,
    LowerBetter,
    Manual,
    Relative,
    Review,
    ThresholdPoints,
)

__all__ = ["reference_score", "round_half_even"]

EPS = 1e-9


def round_half_even(value: float, decimals: int) -> float:
    """What the engine does: scale, round half-even on the binary value, scale back."""
    scale = 10.0**decimals
    return round(value * scale) / scale + 0.0


def _ratio(actual: float, reference: float, higher: bool) -> float:
    num, den = (actual, reference) if higher else (reference, actual)
    if den == 0:
        if num == 0:
            return 100.0  # on par: both zero
        return math.copysign(math.inf, num)
    return num * 100.0 / den


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _percentile(actual: float, peers: Sequence[float], higher: bool) -> float:
    n = len(peers)
    if n <= 1:
        return 100.0
    key = actual if higher else -actual
    keys = [p if higher else -p for p in peers]
    below = sum(1 for p in keys if p < key)
    equal = sum(1 for p in keys if p == key)  # includes the employee
    rank = below + (equal + 1) / 2
    return (rank - 1) * 100.0 / (n - 1)


def reference_score(
    rule: CompiledRule,
    actual: float,
    target: float | None = None,
    benchmark: float | None = None,
    peers: Sequence[float] = (),
) -> tuple[float, float]:
    """(attainment %, score) for one row, unrounded. ``peers`` includes the employee."""
    p = rule.params
    higher = rule.direction == "higher"
    if isinstance(p, Linear | LowerBetter):
        assert target is not None
        attainment = _ratio(actual, target, isinstance(p, Linear))
        return attainment, min(max(attainment, float(p.floor)), float(p.cap))
    if isinstance(p, ThresholdPoints):
        assert target is not None
        attainment = _ratio(actual, target, higher)
        # Exceeded: actual ≥ target × (1 + margin); lower-better: actual ≤ target × (1 − margin).
        margin = float(p.margin)
        exceed_at = 100.0 * (1 + margin) if higher else 100.0 / (1 - margin)
        exceeded = attainment + EPS >= exceed_at
        points = (
            p.exceeded_points
            if exceeded
            else (p.met_points if attainment + EPS >= 100 else p.below_points)
        )
        return attainment, float(points / p.met_points * 100)
    if isinstance(p, Bands):
        assert target is not None
        attainment = _ratio(actual, target, higher)
        result = float(p.below)
        for start, value in p.steps:
            if attainment + EPS >= float(start):
                result = float(value)
        return attainment, result
    if isinstance(p, Frequency):
        attainment = actual * 100.0 / float(p.minimum)
        if actual >= float(p.minimum):
            return attainment, 100.0
        return attainment, attainment if p.mode == "proportional" else 0.0
    if isinstance(p, Relative):
        if p.against == "peer_percentile":
            percentile = _percentile(actual, peers, higher)
            return percentile, percentile
        reference = benchmark if p.against == "benchmark" else _median(peers)
        assert reference is not None
        attainment = _ratio(actual, reference, higher)
        return attainment, min(max(attainment, float(p.floor)), float(p.cap))
    if isinstance(p, Manual):
        return actual, actual
    if isinstance(p, Review):
        attainment = actual * 100.0 / float(p.scale_max)
        return attainment, min(attainment, 100.0)
    raise AssertionError(f"no reference for rule {rule.rule}")

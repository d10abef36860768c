"""The eight rules: validated parameters (frozen dataclasses) and their plans (B5).

Formulas, with worked numbers, are in docs/scoring.md. Scores are on the scale where 100
means "on target"; caps let good performance score above 100 (ADR 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from heng.engine.numbers import json_number
from heng.engine.params import Reader
from heng.engine.params import as_float as _f
from heng.engine.plan import INF, RefKind, RulePlan, Transform

__all__ = [
    "Bands",
    "Frequency",
    "Linear",
    "LowerBetter",
    "Manual",
    "Relative",
    "Review",
    "ThresholdPoints",
    "parse_bands",
    "parse_frequency",
    "parse_linear",
    "parse_lower",
    "parse_manual",
    "parse_relative",
    "parse_review",
    "parse_threshold",
]

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Linear:
    """score = clip(actual / target × 100, floor, cap)."""

    cap: Decimal
    floor: Decimal

    def plan(self, higher: bool) -> RulePlan:
        return RulePlan(
            RefKind.TARGET, True, Transform.CLIP, floor=_f(self.floor), cap=_f(self.cap)
        )

    def canonical(self) -> dict[str, Any]:
        return {"cap": json_number(self.cap), "floor": json_number(self.floor)}


@dataclass(frozen=True)
class LowerBetter:
    """score = clip(target / actual × 100, floor, cap); actual = 0 gives the cap."""

    cap: Decimal
    floor: Decimal

    def plan(self, higher: bool) -> RulePlan:
        return RulePlan(
            RefKind.TARGET,
            False,
            Transform.CLIP,
            floor=_f(self.floor),
            cap=_f(self.cap),
            actual_min=0.0,
        )

    def canonical(self) -> dict[str, Any]:
        return {"cap": json_number(self.cap), "floor": json_number(self.floor)}


@dataclass(frozen=True)
class ThresholdPoints:
    """below / met / exceeded → points, converted to score as points / met_points × 100."""

    below_points: Decimal
    met_points: Decimal
    exceeded_points: Decimal
    margin: Decimal

    def exceed_at(self, higher: bool) -> Decimal:
        # higher: actual ≥ target × (1 + margin); lower: actual ≤ target × (1 − margin),
        # i.e. attainment target/actual×100 ≥ 100 / (1 − margin).
        return HUNDRED * (1 + self.margin) if higher else HUNDRED / (1 - self.margin)

    def plan(self, higher: bool) -> RulePlan:
        scale = HUNDRED / self.met_points
        return RulePlan(
            RefKind.TARGET,
            higher,
            Transform.STEPS,
            base=_f(self.below_points * scale),
            steps=((100.0, 100.0), (_f(self.exceed_at(higher)), _f(self.exceeded_points * scale))),
            actual_min=-INF if higher else 0.0,
        )

    def canonical(self) -> dict[str, Any]:
        return {
            "below_points": json_number(self.below_points),
            "exceeded_points": json_number(self.exceeded_points),
            "margin": json_number(self.margin),
            "met_points": json_number(self.met_points),
        }


@dataclass(frozen=True)
class Bands:
    """Stepped score of attainment: the score of the highest step whose ``from`` is reached."""

    steps: tuple[tuple[Decimal, Decimal], ...]
    below: Decimal

    def plan(self, higher: bool) -> RulePlan:
        return RulePlan(
            RefKind.TARGET,
            higher,
            Transform.STEPS,
            base=_f(self.below),
            steps=tuple((_f(a), _f(s)) for a, s in self.steps),
            actual_min=-INF if higher else 0.0,
        )

    def canonical(self) -> dict[str, Any]:
        return {
            "below": json_number(self.below),
            "steps": [[json_number(a), json_number(s)] for a, s in self.steps],
        }


@dataclass(frozen=True)
class Frequency:
    """A count against a per-period minimum: 100 when met, else proportional or 0."""

    minimum: Decimal
    mode: str

    def plan(self, higher: bool) -> RulePlan:
        if self.mode == "all_or_nothing":
            return RulePlan(
                RefKind.CONSTANT,
                True,
                Transform.STEPS,
                ref_constant=_f(self.minimum),
                base=0.0,
                steps=((100.0, 100.0),),
                actual_min=0.0,
            )
        return RulePlan(
            RefKind.CONSTANT,
            True,
            Transform.CLIP,
            ref_constant=_f(self.minimum),
            floor=0.0,
            cap=100.0,
            actual_min=0.0,
        )

    def canonical(self) -> dict[str, Any]:
        return {"minimum": json_number(self.minimum), "mode": self.mode}


@dataclass(frozen=True)
class Relative:
    """Actual against a benchmark column, the peer-group median or the peer percentile."""

    against: str
    group_by: str | None
    cap: Decimal
    floor: Decimal

    def plan(self, higher: bool) -> RulePlan:
        actual_min = -INF if higher else 0.0
        if self.against == "peer_percentile":
            return RulePlan(
                RefKind.PEER_PERCENTILE,
                higher,
                Transform.CLIP,
                group_by=self.group_by,
                floor=0.0,
                cap=100.0,
                actual_min=actual_min,
            )
        kind = RefKind.BENCHMARK if self.against == "benchmark" else RefKind.PEER_MEDIAN
        return RulePlan(
            kind,
            higher,
            Transform.CLIP,
            group_by=self.group_by,
            floor=_f(self.floor),
            cap=_f(self.cap),
            actual_min=actual_min,
        )

    def canonical(self) -> dict[str, Any]:
        out: dict[str, Any] = {"against": self.against}
        if self.group_by is not None:
            out["group_by"] = self.group_by
        if self.against != "peer_percentile":
            out["cap"] = json_number(self.cap)
            out["floor"] = json_number(self.floor)
        return out


@dataclass(frozen=True)
class Manual:
    """A score typed by a manager, passed through; outside [min, max] is refused."""

    min: Decimal
    max: Decimal

    def plan(self, higher: bool) -> RulePlan:
        return RulePlan(
            RefKind.CONSTANT,
            True,
            Transform.CLIP,
            ref_constant=100.0,
            floor=_f(self.min),
            cap=_f(self.max),
            actual_min=_f(self.min),
            actual_max=_f(self.max),
        )

    def canonical(self) -> dict[str, Any]:
        return {"max": json_number(self.max), "min": json_number(self.min)}


@dataclass(frozen=True)
class Review:
    """A 360 average on [scale_min, scale_max] converted as value / scale_max × 100."""

    scale_min: Decimal
    scale_max: Decimal

    def plan(self, higher: bool) -> RulePlan:
        return RulePlan(
            RefKind.CONSTANT,
            True,
            Transform.CLIP,
            ref_constant=_f(self.scale_max),
            floor=0.0,
            cap=100.0,
            actual_min=_f(self.scale_min),
            actual_max=_f(self.scale_max),
        )

    def canonical(self) -> dict[str, Any]:
        return {"scale_max": json_number(self.scale_max), "scale_min": json_number(self.scale_min)}


# ------------------------------------------------------------------------------- parameter parsing
def parse_linear(r: Reader) -> Linear:
    cap = r.num("cap", 120, gt=Decimal(0))
    return Linear(cap=cap, floor=r.num("floor", 0, ge=Decimal(0), lt=cap))


def parse_lower(r: Reader) -> LowerBetter:
    cap = r.num("cap", 120, gt=Decimal(0))
    return LowerBetter(cap=cap, floor=r.num("floor", 0, ge=Decimal(0), lt=cap))


def parse_threshold(r: Reader) -> ThresholdPoints:
    met = r.num("met_points", gt=Decimal(0))
    exceeded = r.num("exceeded_points", ge=met)
    below = r.num("below_points", 0, ge=Decimal(0))
    if below > met:
        raise r.fail("rule_param_invalid", "below_points", "must not exceed met_points")
    margin = r.num("margin", gt=Decimal(0), lt=Decimal(1))
    return ThresholdPoints(below, met, exceeded, margin)


def parse_bands(r: Reader) -> Bands:
    steps = r.steps("steps")
    below = r.num("below", 0, ge=Decimal(0))
    previous_from, previous_score = Decimal(-1), below
    for i, (start, score) in enumerate(steps):
        if start < 0 or start <= previous_from:
            raise r.fail("rule_param_invalid", f"steps[{i}]", "'from' must be ≥ 0 and ascending")
        # Non-decreasing scores keep the rule monotonic: better attainment never scores less.
        if score < previous_score:
            raise r.fail(
                "rule_param_invalid", f"steps[{i}]", "scores must not decrease (nor be < below)"
            )
        previous_from, previous_score = start, score
    return Bands(steps, below)


def parse_frequency(r: Reader) -> Frequency:
    minimum = r.num("minimum", gt=Decimal(0))
    return Frequency(minimum, r.choice("mode", ("proportional", "all_or_nothing"), "proportional"))


def parse_relative(r: Reader) -> Relative:
    against = r.choice("against", ("benchmark", "peer_median", "peer_percentile"))
    group_by = r.text("group_by")
    if against == "benchmark" and group_by is not None:
        raise r.fail("rule_param_invalid", "group_by", "only peer_median/peer_percentile group")
    if against == "peer_percentile":
        return Relative(against, group_by, HUNDRED, Decimal(0))
    cap = r.num("cap", 120, gt=Decimal(0))
    return Relative(against, group_by, cap, r.num("floor", 0, ge=Decimal(0), lt=cap))


def parse_manual(r: Reader) -> Manual:
    low = r.num("min", 0, ge=Decimal(0))
    return Manual(low, r.num("max", 100, gt=low))


def parse_review(r: Reader) -> Review:
    high = r.num("scale_max", gt=Decimal(0))
    return Review(r.num("scale_min", 0, ge=Decimal(0), lt=high), high)

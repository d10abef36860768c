"""The declarative form every rule compiles to, evaluated by :mod:`heng.engine.kernel`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

__all__ = ["INF", "MAX_STEPS", "RefKind", "RuleParams", "RulePlan", "Transform"]

INF = math.inf
MAX_STEPS = 16
_REQUIRED: Any = object()


class RefKind(IntEnum):
    """What the actual is compared against."""

    TARGET = 0
    BENCHMARK = 1
    CONSTANT = 2
    PEER_MEDIAN = 3
    PEER_PERCENTILE = 4


class Transform(IntEnum):
    """How attainment (100 = on reference) becomes the indicator score."""

    CLIP = 0
    STEPS = 1


@dataclass(frozen=True)
class RulePlan:
    """Declarative form of one rule with its parameters, evaluated by the kernel."""

    ref_kind: RefKind
    higher: bool
    transform: Transform
    ref_constant: float = 0.0
    group_by: str | None = None
    floor: float = 0.0
    cap: float = INF
    base: float = 0.0  # STEPS: score when attainment is below the first step
    steps: tuple[tuple[float, float], ...] = ()  # STEPS: (attainment from, score), ascending
    actual_min: float = -INF  # actual outside [actual_min, actual_max] is refused
    actual_max: float = INF


class RuleParams(Protocol):
    def plan(self, higher: bool) -> RulePlan: ...
    def canonical(self) -> dict[str, Any]: ...

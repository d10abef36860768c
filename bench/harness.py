"""The benchmark registry, the result shape and hooks shared by benchmark modules.

A benchmark module ``bench/bench_<topic>.py`` registers functions with :func:`benchmark`.
Each function returns ``{"value": float, "baseline": float | None, "notes": str}`` where
``value`` and ``baseline`` are in the declared unit, measured in the same run. The runner
(:mod:`bench.run`) runs every benchmark in its own subprocess, adds ``ratio`` and
``peak_mib`` and checks the goal.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

__all__ = [
    "REGISTRY",
    "Benchmark",
    "Goal",
    "Measured",
    "benchmark",
    "best_of",
    "ratio_of",
    "setup_django",
]

# Units where smaller is better; all others (rows/s, req/s …) are larger-is-better.
LOWER_IS_BETTER = {"s", "ms", "MiB"}


class Measured(TypedDict, total=False):
    value: float
    baseline: float | None
    notes: str


@dataclass(frozen=True)
class Goal:
    """Pass conditions; any left as None is not checked."""

    max_value: float | None = None
    min_value: float | None = None
    min_ratio: float | None = None
    max_peak_mib: float | None = None

    def text(self, unit: str) -> str:
        parts = []
        if self.max_value is not None:
            parts.append(f"< {self.max_value:g} {unit}")
        if self.min_value is not None:
            parts.append(f"≥ {self.min_value:g} {unit}")
        if self.min_ratio is not None:
            parts.append(f"≥ {self.min_ratio:g}× baseline")
        if self.max_peak_mib is not None:
            parts.append(f"peak < {self.max_peak_mib:g} MiB")
        return ", ".join(parts) or "—"

    def check(self, value: float, ratio: float | None, peak_mib: float) -> bool:
        return all(
            (
                self.max_value is None or value < self.max_value,
                self.min_value is None or value >= self.min_value,
                self.min_ratio is None or (ratio is not None and ratio >= self.min_ratio),
                self.max_peak_mib is None or peak_mib < self.max_peak_mib,
            )
        )


@dataclass(frozen=True)
class Benchmark:
    name: str
    func: Callable[[], Measured]
    unit: str
    goal: Goal = field(default_factory=Goal)
    requires: tuple[str, ...] = ()
    module: str = ""


REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    name: str, *, unit: str = "s", goal: Goal | None = None, requires: tuple[str, ...] = ()
) -> Callable[[Callable[[], Measured]], Callable[[], Measured]]:
    """Register ``func`` as benchmark ``name``. ``requires`` names services such as
    "postgres" (the runner skips the benchmark, saying why, when they are absent)."""

    def register(func: Callable[[], Measured]) -> Callable[[], Measured]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, func, unit, goal or Goal(), requires, func.__module__)
        return func

    return register


def ratio_of(unit: str, value: float, baseline: float | None) -> float | None:
    """> 1 means Heng beats the baseline (baseline/value for times, value/baseline else)."""
    if baseline is None or value == 0 or baseline == 0:
        return None
    return baseline / value if unit in LOWER_IS_BETTER else value / baseline


def best_of(runs: int, func: Callable[[], Any], *, warmup: int = 1) -> tuple[float, Any]:
    """Best wall time in seconds of ``runs`` calls after ``warmup`` calls; and the last result."""
    result: Any = None
    for _ in range(warmup):
        result = func()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def setup_django(database_url: str | None = None) -> None:
    """Hook for benchmarks that need the Django project (ingestion, cycle scoring …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heng.config.settings")
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def requirement_missing(requirement: str) -> str | None:
    """Why a required service is unavailable, or None when it is there."""
    if requirement == "postgres":
        url = os.environ.get("HENG_BENCH_POSTGRES_URL") or os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            return "needs PostgreSQL: set HENG_BENCH_POSTGRES_URL (or DATABASE_URL)"
        return None
    if requirement == "django":
        try:
            import django  # noqa: F401
        except ImportError:
            return "needs Django"
        return None
    return f"unknown requirement {requirement!r}"

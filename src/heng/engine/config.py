"""Frozen scoring configuration: framework weights, KPI/360 split, bonus cap, ratings, mix.

Build it with :meth:`ScoringConfig.create`, which accepts plain mappings and numbers and
normalises them into exact Decimals; the dataclass validates itself on construction so an
invalid configuration can never reach the engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from heng.engine.errors import EngineError
from heng.engine.numbers import Number, dec, dec_text

__all__ = ["DEFAULT_RATING_BANDS", "MixBucket", "RatingBand", "ScoringConfig"]

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RatingBand:
    """A rating reached when the total is ≥ ``min_score`` (the lowest band catches the rest)."""

    code: str
    min_score: Decimal
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class MixBucket:
    """One slice of the target distribution, e.g. 20% in {excellent}, 70% in {good, pass}."""

    label: str
    bands: tuple[str, ...]
    share: Decimal


DEFAULT_RATING_BANDS: tuple[RatingBand, ...] = (
    RatingBand("excellent", Decimal(90), "优秀", "Excellent"),
    RatingBand("good", Decimal(80), "良好", "Good"),
    RatingBand("pass", Decimal(60), "合格", "Pass"),
    RatingBand("unqualified", Decimal(0), "不合格", "Unqualified"),
)


def _pairs(
    mapping: Mapping[str, Number] | None, what: str
) -> tuple[tuple[str, Decimal], ...] | None:
    if mapping is None:
        return None
    return tuple(sorted((str(k), dec(v, where=f"{what}.{k}")) for k, v in mapping.items()))


def _check_sum_100(pairs: Iterable[tuple[str, Decimal]], what: str) -> None:
    items = list(pairs)
    for key, value in items:
        if value < 0:
            raise EngineError(
                "weight_negative", f"{what}.{key}: weight must not be negative", {"path": what}
            )
    total = sum((v for _, v in items), Decimal(0))
    if total != HUNDRED:
        raise EngineError(
            "weights_not_100",
            f"{what}: weights must sum to exactly 100, got {dec_text(total)}",
            {"path": what, "total": dec_text(total)},
        )


@dataclass(frozen=True)
class ScoringConfig:
    """Everything the engine needs besides the frames. All numbers are exact Decimals."""

    category_weights: tuple[tuple[str, Decimal], ...] | None = None
    kpi_weight: Decimal = HUNDRED
    review_weight: Decimal = Decimal(0)
    review_scale_min: Decimal = Decimal(0)
    review_scale_max: Decimal = HUNDRED
    review_group_weights: tuple[tuple[str, Decimal], ...] | None = None
    bonus_cap: Decimal | None = None
    rating_bands: tuple[RatingBand, ...] = DEFAULT_RATING_BANDS
    target_mix: tuple[MixBucket, ...] = field(default=())
    rank_by: str | None = None

    def __post_init__(self) -> None:
        if self.category_weights is not None:
            _check_sum_100(self.category_weights, "category_weights")
        for name, value in (("kpi_weight", self.kpi_weight), ("review_weight", self.review_weight)):
            if value < 0:
                raise EngineError("weight_negative", f"{name} must not be negative", {"path": name})
        if self.kpi_weight + self.review_weight != HUNDRED:
            total = dec_text(self.kpi_weight + self.review_weight)
            raise EngineError(
                "weights_not_100",
                f"kpi_weight + review_weight must be exactly 100, got {total}",
                {"path": "kpi_weight", "total": total},
            )
        if not self.review_scale_min < self.review_scale_max or self.review_scale_max <= 0:
            raise EngineError(
                "review_scale_invalid",
                "review scale needs 0 ≤ min < max and max > 0",
                {"path": "review_scale"},
            )
        if self.review_group_weights is not None:
            _check_sum_100(self.review_group_weights, "review_group_weights")
        if self.bonus_cap is not None and self.bonus_cap < 0:
            raise EngineError("bonus_cap_invalid", "bonus_cap must not be negative", {})
        self._check_bands()
        self._check_mix()

    def _check_bands(self) -> None:
        bands = self.rating_bands
        if not bands:
            raise EngineError("rating_bands_invalid", "at least one rating band is needed", {})
        codes = [b.code for b in bands]
        if len(set(codes)) != len(codes) or any(not c for c in codes):
            raise EngineError(
                "rating_bands_invalid", "rating band codes must be unique and non-empty", {}
            )
        for upper, lower in itertools.pairwise(bands):
            if not upper.min_score > lower.min_score:
                raise EngineError(
                    "rating_bands_invalid",
                    "rating bands must be listed from the highest threshold down, strictly",
                    {"band": lower.code},
                )
        if bands[-1].min_score != 0:
            raise EngineError(
                "rating_bands_invalid",
                "the lowest rating band must start at 0 (it catches every lower total)",
                {"band": bands[-1].code},
            )

    def _check_mix(self) -> None:
        if not self.target_mix:
            return
        codes = {b.code for b in self.rating_bands}
        seen: list[str] = []
        for bucket in self.target_mix:
            for code in bucket.bands:
                if code not in codes:
                    raise EngineError(
                        "target_mix_invalid",
                        f"target mix bucket {bucket.label!r} names unknown band {code!r}",
                        {"bucket": bucket.label, "band": code},
                    )
                seen.append(code)
        if sorted(seen) != sorted(codes):
            raise EngineError(
                "target_mix_invalid",
                "every rating band must belong to exactly one target-mix bucket",
                {"bands": sorted(codes)},
            )
        _check_sum_100(((b.label, b.share) for b in self.target_mix), "target_mix")

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def create(
        cls,
        *,
        category_weights: Mapping[str, Number] | None = None,
        kpi_weight: Number = 100,
        review_weight: Number = 0,
        review_scale: tuple[Number, Number] = (0, 100),
        review_group_weights: Mapping[str, Number] | None = None,
        bonus_cap: Number | None = None,
        rating_bands: Iterable[Mapping[str, Any]] | None = None,
        target_mix: Iterable[Mapping[str, Any]] | Mapping[str, Number] | None = None,
        rank_by: str | None = None,
    ) -> ScoringConfig:
        """Build from plain Python values (as read from YAML or JSON)."""
        bands = DEFAULT_RATING_BANDS
        if rating_bands is not None:
            bands = tuple(
                RatingBand(
                    code=str(b["code"]),
                    min_score=dec(b.get("min", 0), where=f"rating_bands[{i}].min"),
                    name_zh=str(b.get("name_zh", "")),
                    name_en=str(b.get("name_en", "")),
                )
                for i, b in enumerate(rating_bands)
            )
        return cls(
            category_weights=_pairs(category_weights, "category_weights"),
            kpi_weight=dec(kpi_weight, where="kpi_weight"),
            review_weight=dec(review_weight, where="review_weight"),
            review_scale_min=dec(review_scale[0], where="review_scale[0]"),
            review_scale_max=dec(review_scale[1], where="review_scale[1]"),
            review_group_weights=_pairs(review_group_weights, "review_group_weights"),
            bonus_cap=None if bonus_cap is None else dec(bonus_cap, where="bonus_cap"),
            rating_bands=bands,
            target_mix=_mix(target_mix),
            rank_by=rank_by,
        )

    def category_weight_map(self) -> dict[str, Decimal] | None:
        return None if self.category_weights is None else dict(self.category_weights)

    def band(self, code: str) -> RatingBand:
        return next(b for b in self.rating_bands if b.code == code)

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain form (Decimals as text) used for hashing and JSON output."""

        def pairs(p: tuple[tuple[str, Decimal], ...] | None) -> dict[str, str] | None:
            return None if p is None else {k: dec_text(v) for k, v in p}

        return {
            "category_weights": pairs(self.category_weights),
            "kpi_weight": dec_text(self.kpi_weight),
            "review_weight": dec_text(self.review_weight),
            "review_scale": [dec_text(self.review_scale_min), dec_text(self.review_scale_max)],
            "review_group_weights": pairs(self.review_group_weights),
            "bonus_cap": None if self.bonus_cap is None else dec_text(self.bonus_cap),
            "rating_bands": [
                {
                    "code": b.code,
                    "min": dec_text(b.min_score),
                    "name_zh": b.name_zh,
                    "name_en": b.name_en,
                }
                for b in self.rating_bands
            ],
            "target_mix": [
                {"label": m.label, "bands": list(m.bands), "share": dec_text(m.share)}
                for m in self.target_mix
            ],
            "rank_by": self.rank_by,
        }


def _mix(
    raw: Iterable[Mapping[str, Any]] | Mapping[str, Number] | None,
) -> tuple[MixBucket, ...]:
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        # Shorthand {band_code: share}: one bucket per band.
        return tuple(
            MixBucket(str(code), (str(code),), dec(share, where=f"target_mix.{code}"))
            for code, share in raw.items()
        )
    buckets = []
    for i, item in enumerate(raw):
        bands = item.get("bands")
        if not isinstance(bands, list | tuple) or not bands:
            raise EngineError(
                "target_mix_invalid",
                f"target_mix[{i}].bands: a non-empty list of band codes is needed",
                {"path": f"target_mix[{i}].bands"},
            )
        label = str(item.get("label") or "+".join(str(b) for b in bands))
        share = dec(item.get("share"), where=f"target_mix[{i}].share")
        buckets.append(MixBucket(label, tuple(str(b) for b in bands), share))
    return tuple(buckets)

"""Error codes of cycles, targets, reviews, scoring and the ledger."""

from __future__ import annotations

from heng.core.errors import Conflict, ValidationFailed


class CycleInvalid(ValidationFailed):
    default_code = "cycle_invalid"


class CycleConflict(Conflict):
    """The cycle is not in a state that allows this (or someone else moved it first)."""

    default_code = "cycle_state"


class TargetInvalid(ValidationFailed):
    default_code = "target_invalid"


class ReviewRefused(ValidationFailed):
    default_code = "review_refused"


class ScoringRefused(ValidationFailed):
    default_code = "scoring_refused"

"""Performance models. Later issues (cycles, targets, reviews, ledger) add modules here."""

from heng.performance.models.indicators import (
    CODE_VALIDATOR,
    RULE_CHOICES,
    Category,
    Direction,
    Indicator,
    ValueKind,
)
from heng.performance.models.schemes import (
    Framework,
    ImmutableVersion,
    OverrideAction,
    OverrideChange,
    Scheme,
    SchemeAssignment,
    SchemeLine,
    SchemeOverride,
    SchemeVersion,
    TargetMethod,
    default_rating_bands,
)

__all__ = [
    "CODE_VALIDATOR",
    "RULE_CHOICES",
    "Category",
    "Direction",
    "Framework",
    "ImmutableVersion",
    "Indicator",
    "OverrideAction",
    "OverrideChange",
    "Scheme",
    "SchemeAssignment",
    "SchemeLine",
    "SchemeOverride",
    "SchemeVersion",
    "TargetMethod",
    "ValueKind",
    "default_rating_bands",
]

# Cycles, reviews, results and the ledger (issue #5).
from heng.performance.models.cycles import (
    BonusEntry,
    Cadence,
    Cycle,
    CycleState,
    LeaverPolicy,
    ManualValue,
    Participant,
    ParticipantStatus,
    Target,
    TargetMethodChoice,
)
from heng.performance.models.ledger import GENESIS, LedgerEntry, LedgerHead
from heng.performance.models.results import EXPLAIN_COLUMNS, Adjustment, Result, explanation_rows
from heng.performance.models.reviews import (
    ANONYMITY_MIN,
    InvitationStatus,
    Questionnaire,
    RaterGroup,
    ReviewInvitation,
)

__all__ += [
    "ANONYMITY_MIN",
    "EXPLAIN_COLUMNS",
    "GENESIS",
    "Adjustment",
    "BonusEntry",
    "Cadence",
    "Cycle",
    "CycleState",
    "InvitationStatus",
    "LeaverPolicy",
    "LedgerEntry",
    "LedgerHead",
    "ManualValue",
    "Participant",
    "ParticipantStatus",
    "Questionnaire",
    "RaterGroup",
    "Result",
    "ReviewInvitation",
    "Target",
    "TargetMethodChoice",
    "explanation_rows",
]

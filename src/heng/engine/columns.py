"""Column names of every frame the engine reads or writes (one place, no string literals elsewhere).

Input frames (see docs/scoring.md for types and meaning):
- employees: EMPLOYEE_ID, SCHEME, optional NAME and any attribute columns (unit, region …)
- lines:     SCHEME, INDICATOR, CATEGORY, DIRECTION, RULE, PARAMS, WEIGHT,
             optional NAME_ZH, NAME_EN, SOURCE_SET
- values:    EMPLOYEE_ID, INDICATOR, ACTUAL, optional TARGET, BENCHMARK
- reviews:   EMPLOYEE_ID, REVIEW_VALUE, optional RATER_GROUP
- bonus:     EMPLOYEE_ID, POINTS, optional REASON
"""

from __future__ import annotations

from typing import Final

# --- keys and attributes -------------------------------------------------------------------
EMPLOYEE_ID: Final = "employee_id"
SCHEME: Final = "scheme"
NAME: Final = "name"
INDICATOR: Final = "indicator"

# --- scheme lines --------------------------------------------------------------------------
NAME_ZH: Final = "name_zh"
NAME_EN: Final = "name_en"
CATEGORY: Final = "category"
DIRECTION: Final = "direction"
RULE: Final = "rule"
PARAMS: Final = "params"
WEIGHT: Final = "weight"
SOURCE_SET: Final = "source_set"

# --- indicator values ----------------------------------------------------------------------
ACTUAL: Final = "actual"
TARGET: Final = "target"
BENCHMARK: Final = "benchmark"

# --- reviews and bonus -----------------------------------------------------------------------
REVIEW_VALUE: Final = "value"
RATER_GROUP: Final = "rater_group"
POINTS: Final = "points"
REASON: Final = "reason"

# --- explanation (per employee × indicator) --------------------------------------------------
REFERENCE: Final = "reference"
ATTAINMENT: Final = "attainment"
SCORE: Final = "score"
EFFECTIVE_WEIGHT: Final = "effective_weight"
CATEGORY_WEIGHT: Final = "category_weight"
CONTRIBUTION: Final = "contribution"

# --- totals (per employee) -----------------------------------------------------------------
KPI: Final = "kpi"
REVIEW_SCORE: Final = "review_score"
KPI_PART: Final = "kpi_part"
REVIEW_PART: Final = "review_part"
BONUS_POINTS: Final = "bonus_points"
BONUS: Final = "bonus"
TOTAL: Final = "total"
RATING: Final = "rating"
RATING_ZH: Final = "rating_zh"
RATING_EN: Final = "rating_en"
RANK: Final = "rank"
PERCENTILE: Final = "percentile"
GROUP_SIZE: Final = "group_size"

# --- distribution check --------------------------------------------------------------------
GROUP: Final = "group"
BUCKET: Final = "bucket"
BANDS: Final = "bands"
COUNT: Final = "count"
SHARE: Final = "share"
TARGET_SHARE: Final = "target_share"
TARGET_COUNT: Final = "target_count"
SHARE_DIFF: Final = "share_diff"
STATUS: Final = "status"

# --- vocabularies ------------------------------------------------------------------------------
HIGHER: Final = "higher"
LOWER: Final = "lower"
DIRECTIONS: Final = (HIGHER, LOWER)
RESULT: Final = "result"
PROCESS: Final = "process"
GROWTH: Final = "growth"
DEFAULT_SOURCE_SET: Final = "main"
ALL_GROUP: Final = "(all)"

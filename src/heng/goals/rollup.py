"""Goal progress, recomputed for the whole tree at once (C2).

Own progress per node: a KPI's is the mean of its holders' progress (from the pace check);
a key result's comes from its value (measured from its indicator over the unit's people, or
updated by hand / pushed over the API) between start and target — until it has a value it
takes its KPIs' progress; objectives and strategies take the weighted mean of their active
children. The engine computes the tree level by level;
only the goals whose figure changed are written, in one bulk UPDATE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from heng.engine.pace import kr_progress, rollup
from heng.goals.evaluation import default_as_of, indicator_formula
from heng.goals.models import Goal, GoalKind, GoalStatus
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.people.models import Employee, EmploymentStatus

NODE_SCHEMA = {
    "id": pl.Int64,
    "parent_id": pl.Int64,
    "kind": pl.Utf8,
    "status": pl.Utf8,
    "weight": pl.Float64,
    "start_value": pl.Float64,
    "target_value": pl.Float64,
    "current_value": pl.Float64,
    "stored": pl.Float64,
}


def measure_key_results(*, as_of: dt.date | None = None) -> dict[int, float]:
    """Current values of key results linked to an indicator, from the facts of their unit's
    people (one metric query per distinct period); returns ``goal_id → value``."""
    as_of = as_of or default_as_of()
    krs = list(
        Goal.objects.filter(
            kind=GoalKind.KEY_RESULT,
            status=GoalStatus.ACTIVE,
            indicator__isnull=False,
            start_date__lte=as_of,
        ).select_related("indicator", "unit")
    )
    found: dict[int, float] = {}
    for kr in krs:
        assert kr.indicator is not None
        text = indicator_formula(
            kr.indicator.value_kind, kr.indicator.source_metric, kr.indicator.formula
        )
        if not text:
            continue
        units = OrgUnit.objects.filter(path__startswith=kr.unit.path).values("pk")
        people = list(
            Employee.objects.filter(status=EmploymentStatus.ACTIVE, unit_id__in=units).values_list(
                "pk", flat=True
            )
        )
        if not people:
            continue
        values = metric_values(
            formulas={"kr": text},
            period_start=kr.start_date,
            period_end=min(kr.end_date, as_of),
            employee_ids=people,
        )["value"].drop_nulls()
        if values.len():
            found[kr.pk] = float(values.sum() if kr.aggregate == "sum" else values.mean())  # type: ignore[arg-type]
    return found


def tree_frame() -> pl.DataFrame:
    rows = Goal.objects.values_list(
        "pk",
        "parent_id",
        "kind",
        "status",
        "weight",
        "start_value",
        "target_value",
        "current_value",
        "progress",
    )
    return pl.DataFrame(
        [(*r[:4], None if r[4] is None else float(r[4]), *r[5:]) for r in rows],
        schema=NODE_SCHEMA,
        orient="row",
    )


def compute(
    nodes: pl.DataFrame,
    *,
    kpi_progress: Mapping[int, float | None] | None = None,
    kr_values: Mapping[int, float] | None = None,
) -> pl.DataFrame:
    """``id, progress, current_value`` for every node (no database access)."""
    kpi_progress = dict(kpi_progress or {})
    kr_values = dict(kr_values or {})
    frame = nodes.with_columns(
        pl.col("id")
        .replace_strict(kr_values, default=pl.col("current_value"), return_dtype=pl.Float64)
        .alias("current_value")
    )
    kpi_own = pl.col("id").replace_strict(
        kpi_progress, default=pl.col("stored"), return_dtype=pl.Float64
    )
    own = (
        pl.when(pl.col("kind") == GoalKind.KPI)
        .then(kpi_own)
        .when(
            (pl.col("kind") == GoalKind.KEY_RESULT)
            & pl.col("target_value").is_not_null()
            & pl.col("current_value").is_not_null()
        )
        .then(
            kr_progress(
                pl.col("start_value").fill_null(0.0),
                pl.col("target_value"),
                pl.col("current_value"),
            )
        )
        .otherwise(None)
    )
    frame = frame.with_columns(
        own.alias("own"), (pl.col("status") == GoalStatus.ARCHIVED).alias("archived")
    )
    out = rollup(frame.select("id", "parent_id", "own", "weight", "archived"))
    return out.join(frame.select("id", "current_value"), on="id")


@transaction.atomic
def goals_rollup(
    *,
    kpi_progress: Mapping[int, float | None] | None = None,
    kr_values: Mapping[int, float] | None = None,
) -> int:
    """Recompute and store progress for every goal; returns how many goals changed."""
    nodes = tree_frame()
    if nodes.is_empty():
        return 0
    result = compute(nodes, kpi_progress=kpi_progress, kr_values=kr_values)
    before = nodes.select("id", pl.col("stored"), pl.col("current_value").alias("old_value"))
    changed = result.join(before, on="id").filter(
        ~_same(pl.col("progress"), pl.col("stored"))
        | ~_same(pl.col("current_value"), pl.col("old_value"))
    )
    if changed.is_empty():
        return 0
    rows = list(changed.select("id", "progress", "current_value").iter_rows())
    _write(rows, timezone.now())
    return len(rows)


def _write(rows: list[tuple[int, float | None, float | None]], now: dt.datetime) -> None:
    """One ``UPDATE … FROM (VALUES …)`` per 5,000 goals (PostgreSQL and SQLite ≥ 3.33)."""
    table = Goal._meta.db_table
    cast = connection.vendor == "postgresql"
    row_sql = "(%s::bigint, %s::float8, %s::float8)" if cast else "(%s, %s, %s)"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            values = ", ".join([row_sql] * len(chunk))
            cursor.execute(
                f"WITH v(id, p, c) AS (VALUES {values}) "
                f"UPDATE {table} SET progress = v.p, current_value = v.c, progress_at = %s "
                f"FROM v WHERE {table}.id = v.id",
                [x for row in chunk for x in row] + [now],
            )


def _same(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a.is_null() & b.is_null()) | ((a - b).abs() < 1e-9).fill_null(False)

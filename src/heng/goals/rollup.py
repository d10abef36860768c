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
from django.db.models import Q
from django.utils import timezone

from heng.engine.pace import kr_progress, rollup
from heng.goals.evaluation import default_as_of, indicator_formula
from heng.goals.models import Goal, GoalKind, GoalStatus
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.people.models import Employee, EmploymentStatus

STEP = OrgUnit.steplen
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


def _tops(paths: list[str]) -> list[str]:
    """The fewest subtree roots covering every path (an ancestor covers its descendants)."""
    out: list[str] = []
    for path in sorted(set(paths)):
        if not out or not path.startswith(out[-1]):
            out.append(path)
    return out


def measure_key_results(*, as_of: dt.date | None = None) -> dict[int, float]:
    """Current values of key results linked to an indicator, from the facts of their unit's
    people; returns ``goal_id → value`` (the sum or the mean over the people with a value).

    Set-based: one read of the key results, one of the people under their units, and one
    ``metric_values`` call per distinct period (every formula of that period at once) — a
    handful of queries however many key results there are."""
    as_of = as_of or default_as_of()
    rows = Goal.objects.filter(
        kind=GoalKind.KEY_RESULT,
        status=GoalStatus.ACTIVE,
        indicator__isnull=False,
        start_date__lte=as_of,
    ).values_list(
        "pk",
        "unit__path",
        "aggregate",
        "start_date",
        "end_date",
        "indicator__value_kind",
        "indicator__source_metric",
        "indicator__formula",
    )
    krs = []
    for pk, path, aggregate, start, end, value_kind, metric, formula in rows:
        text = indicator_formula(value_kind, metric, formula)
        if text:
            krs.append((pk, path, aggregate, start, min(end, as_of), text))
    if not krs:
        return {}
    kr = pl.DataFrame(
        krs,
        schema={
            "goal_id": pl.Int64,
            "unit_path": pl.Utf8,
            "aggregate": pl.Utf8,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "formula": pl.Utf8,
        },
        orient="row",
    )
    under = Q()
    for top in _tops(kr["unit_path"].to_list()):
        under |= Q(unit__path__startswith=top)
    people = pl.DataFrame(
        list(
            Employee.objects.filter(under, status=EmploymentStatus.ACTIVE).values_list(
                "pk", "unit__path"
            )
        ),
        schema={"employee_id": pl.Int64, "path": pl.Utf8},
        orient="row",
    )
    if people.is_empty():
        return {}
    # Each person once per unit above him (his own included), matched to the KRs there.
    members = (
        people.with_columns(
            pl.int_ranges(1, pl.col("path").str.len_chars() // STEP + 1).alias("depth")
        )
        .explode("depth")
        .select(
            "employee_id", pl.col("path").str.slice(0, pl.col("depth") * STEP).alias("unit_path")
        )
        .join(kr, on="unit_path")
    )
    found: list[pl.DataFrame] = []
    for (first, last), group in members.group_by(
        ["period_start", "period_end"], maintain_order=True
    ):
        ids = group["employee_id"].unique().sort().to_list()
        values = metric_values(
            formulas={text: text for text in group["formula"].unique().sort().to_list()},
            period_start=first,  # type: ignore[arg-type]
            period_end=last,  # type: ignore[arg-type]
            # A short list is cheaper to filter in SQL; for everyone, read all and join.
            employee_ids=ids if len(ids) <= 5000 else None,
        )
        values = values.filter(
            (pl.col("subject_type") == "employee") & pl.col("value").is_not_null()
        ).select(pl.col("subject_id").alias("employee_id"), pl.col("key").alias("formula"), "value")
        found.append(
            group.join(values, on=["employee_id", "formula"])
            .group_by("goal_id")
            .agg(
                pl.when(pl.col("aggregate").first() == "sum")
                .then(pl.col("value").sum())
                .otherwise(pl.col("value").mean())
                .alias("value")
            )
        )
    if not found:
        return {}
    return dict(pl.concat(found).iter_rows())  # type: ignore[arg-type]


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

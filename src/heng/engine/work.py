"""Employees × values × compiled lines → the evaluated work frame (one row per employee ×
indicator, already sorted by employee_id then indicator), with every refusal detected in
bulk and reported with names.

The plumbing is integer arithmetic on NumPy arrays rather than string joins: employee ids
and indicator codes become dense integer codes (one cast each), the line of every row is
found in a lookup table indexed by (scheme, indicator), and a counting sort by
(employee, indicator) gives the output order and the coverage check (missing or duplicated
values) in one pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from heng.engine import columns as c
from heng.engine import kernel as k
from heng.engine.errors import EngineError
from heng.engine.peers import peer_stats
from heng.engine.prepare import (
    IND_KEY,
    LINE_KEY,
    SCHEME_KEY,
    SPEC_ID,
    PreparedLines,
)
from heng.engine.rules import RefKind, RulePlan
from heng.engine.validate import MAX_LISTED, frame_columns, listed, require_unique

__all__ = [
    "EMP_KEY",
    "SCORE_SCALE",
    "Employees",
    "Work",
    "evaluate",
    "prepare_employees",
    "unknown_employees",
]

EMP_KEY = "_emp"
SCORE_SCALE = 10_000  # scores and contributions are kept as integers of 1/10,000 point
# Counting sort needs an array of n_employees × n_indicator_codes slots; past this, argsort.
COUNTING_SORT_LIMIT = 50_000_000

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Employees:
    frame: pl.DataFrame  # sorted by employee_id, with _emp = row position
    attributes: tuple[str, ...]


def prepare_employees(employees: pl.DataFrame) -> Employees:
    df = frame_columns(
        employees, "employees", text=(c.EMPLOYEE_ID, c.SCHEME), keys=(c.EMPLOYEE_ID, c.SCHEME)
    )
    require_unique(df, (c.EMPLOYEE_ID,), "employees")
    df = df.sort(c.EMPLOYEE_ID).with_row_index(EMP_KEY)
    attributes = tuple(n for n in df.columns if n not in (EMP_KEY, c.EMPLOYEE_ID, c.SCHEME))
    return Employees(df, attributes)


def dense_codes(values: pl.Series, categories: pl.Series) -> Ints:
    """Position of each value in ``categories`` (distinct values); -1 when absent.

    Inputs are usually grouped (all rows of an employee together): runs of equal values are
    found with two 64-bit string hashes (a few ms for 2,000,000 strings; a false run needs two
    simultaneous collisions) and only the run heads are looked up, then repeated.
    """
    n = len(values)
    # Only many-valued keys (employee ids) are worth it; a cast of a few codes is cheap.
    if n and len(categories) > 1_000:
        a = values.hash(seed=0x5EED).to_numpy()
        new_run = np.empty(n, dtype=bool)
        new_run[0] = True
        np.not_equal(a[1:], a[:-1], out=new_run[1:])
        if int(new_run.sum()) * 4 <= n:
            b = values.hash(seed=0xC0FFEE).to_numpy()
            new_run[1:] |= b[1:] != b[:-1]
        starts = np.flatnonzero(new_run)
        if len(starts) * 4 <= n:
            lengths = np.diff(np.append(starts, n))
            heads = values.gather(pl.Series(starts.astype(np.uint32 if n < 2**32 else np.uint64)))
            return np.repeat(_lookup(heads, categories), lengths)
    return _lookup(values, categories)


def _lookup(values: pl.Series, categories: pl.Series) -> Ints:
    try:
        codes = values.cast(pl.Enum(categories)).to_physical()
    except pl.exceptions.PolarsError:  # some values are not categories: slower, lenient path
        codes = values.replace_strict(
            categories,
            pl.int_range(0, len(categories), eager=True),
            default=-1,
            return_dtype=pl.Int64,
        )
    return codes.cast(pl.Int64).to_numpy()


def unknown_employees(df: pl.DataFrame, emp: Employees, frame: str) -> None:
    """Refuse rows of ``frame`` naming employees absent from the employees frame."""
    unknown = (
        df.select(c.EMPLOYEE_ID)
        .unique()
        .join(emp.frame.select(c.EMPLOYEE_ID), on=c.EMPLOYEE_ID, how="anti")
        .sort(c.EMPLOYEE_ID)
    )
    if unknown.height:
        ids = listed(unknown.get_column(c.EMPLOYEE_ID).to_list())
        raise EngineError(
            "employee_unknown",
            f"{frame}: employee {ids[0]!r} is not in the employees frame",
            {"frame": frame, "employees": ids, "count": unknown.height},
        )


def _scheme_keys(emp: Employees, prep: PreparedLines) -> Ints:
    keys = dense_codes(emp.frame.get_column(c.SCHEME), pl.Series(prep.schemes, dtype=pl.String))
    if (keys < 0).any():
        row = emp.frame.row(int(np.flatnonzero(keys < 0)[0]), named=True)
        raise EngineError(
            "scheme_unknown",
            f"employee {row[c.EMPLOYEE_ID]}: scheme {row[c.SCHEME]!r} has no lines",
            {"employee_id": row[c.EMPLOYEE_ID], "scheme": row[c.SCHEME]},
        )
    return keys


@dataclass(frozen=True)
class Work:
    """Evaluated rows in output order (employee_id, then indicator), as columns."""

    emp_key: Ints
    line_key: Ints
    inputs: pl.DataFrame  # actual, target, benchmark
    reference: npt.NDArray[np.float64]
    attainment: pl.Series  # 4 decimals, null when infinite (actual 0 on a lower-better rule)
    score: npt.NDArray[np.float64]  # 4 decimals
    score_int: Ints  # score × 10,000
    contrib_int: Ints  # contribution × 10,000


def evaluate(values: pl.DataFrame, emp: Employees, prep: PreparedLines) -> Work:
    """Locate, order, check and score every (employee, indicator) row of the schemes."""
    values = frame_columns(
        values,
        "values",
        text=(c.EMPLOYEE_ID, c.INDICATOR),
        numbers=(c.ACTUAL,),
        optional_numbers=(c.TARGET, c.BENCHMARK),
        keys=(c.EMPLOYEE_ID, c.INDICATOR),
        blank_check=False,
    ).select(c.EMPLOYEE_ID, c.INDICATOR, c.ACTUAL, c.TARGET, c.BENCHMARK)
    scheme_of = _scheme_keys(emp, prep)
    emp_codes = dense_codes(values.get_column(c.EMPLOYEE_ID), emp.frame.get_column(c.EMPLOYEE_ID))
    if (emp_codes < 0).any():
        unknown_employees(values, emp, "values")
    n_codes = len(prep.codes)
    ind_codes = dense_codes(values.get_column(c.INDICATOR), pl.Series(prep.codes, dtype=pl.String))
    lines = prep.frame
    lookup = np.full(len(prep.schemes) * n_codes, -1, dtype=np.int64)
    lookup[_np(lines, SCHEME_KEY) * n_codes + _np(lines, IND_KEY)] = _np(lines, LINE_KEY)
    line_of = np.where(
        ind_codes >= 0, lookup[scheme_of[emp_codes] * n_codes + np.maximum(ind_codes, 0)], -1
    )
    # Values of indicators outside the employee's scheme are ignored (documented policy).
    order = _order_and_coverage(emp_codes, ind_codes, line_of, emp, prep, scheme_of)
    emp_key, line_key = emp_codes[order], line_of[order]

    # Group the rows by rule spec (stable radix sort on small integers) and evaluate each
    # spec's literal expressions on its slice.
    spec = _np(lines, SPEC_ID)[line_key]
    by_spec = np.argsort(
        spec.astype(np.uint16 if len(prep.specs) < 65_536 else np.uint32), kind="stable"
    )
    counts = np.bincount(spec, minlength=len(prep.specs))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    raw = values.drop(c.EMPLOYEE_ID, c.INDICATOR)
    inputs = _gather(raw, order[by_spec])
    peer = peer_stats(inputs, counts, starts, by_spec, emp_key, line_key, emp, prep)
    parts = []
    for spec_id, count in enumerate(counts.tolist()):
        if not count:
            continue
        plan = prep.specs[spec_id].plan
        part = inputs.slice(int(starts[spec_id]), count)
        if plan.ref_kind == RefKind.CONSTANT:
            part = part.with_columns(pl.Series(k.CONSTANT, np.full(count, plan.ref_constant)))
        if spec_id in peer:
            part = part.with_columns(peer[spec_id])
        parts.append(part.select(k.plan_exprs(plan)))
    if not parts:  # nobody to score: an empty result, not an error
        empty = {c.REFERENCE: pl.Float64, c.ATTAINMENT: pl.Float64, c.SCORE: pl.Float64}
        parts.append(pl.DataFrame(schema={**empty, k.BAD: pl.Boolean}))
    evaluated = pl.concat(parts, how="vertical")
    bad = evaluated.get_column(k.BAD).to_numpy()
    if bad.any():
        positions = np.sort(by_spec[bad])  # back to output order: first employee first
        _refuse_bad_rows(positions, emp_key, line_key, inputs, by_spec, emp, prep)

    # Back to output order: one inverse permutation, one (multi-threaded) frame gather.
    inverse = np.empty(len(by_spec), dtype=np.uint32 if len(by_spec) < 2**32 else np.uint64)
    inverse[by_spec] = np.arange(len(by_spec), dtype=inverse.dtype)
    restored = evaluated.select(c.REFERENCE, c.ATTAINMENT, c.SCORE)[pl.Series(inverse)]
    # Scores and attainments come rounded half-even to 4 decimals from plan_exprs.
    score = restored.get_column(c.SCORE).to_numpy()
    effective = _np(lines, c.EFFECTIVE_WEIGHT)[line_key]
    return Work(
        emp_key=emp_key,
        line_key=line_key,
        inputs=_gather(raw, order),
        reference=restored.get_column(c.REFERENCE).to_numpy(),
        attainment=restored.get_column(c.ATTAINMENT),
        score=score,
        score_int=np.rint(score * SCORE_SCALE).astype(np.int64),
        contrib_int=np.rint(score * effective * (SCORE_SCALE / 100)).astype(np.int64),
    )


def _np(df: pl.DataFrame, name: str) -> npt.NDArray[Any]:
    return df.get_column(name).to_numpy()


def _gather(df: pl.DataFrame, rows: Ints) -> pl.DataFrame:
    """Rows by position; a no-op when the input already is in that order (common: values
    read with ORDER BY employee, indicator)."""
    if len(rows) == df.height and (
        len(rows) == 0 or (rows[0] == 0 and bool((np.diff(rows) == 1).all()))
    ):
        return df
    return df[pl.Series(rows.astype(np.uint32 if len(rows) < 2**32 else np.uint64))]


def _order_and_coverage(
    emp_codes: Ints,
    ind_codes: Ints,
    line_of: Ints,
    emp: Employees,
    prep: PreparedLines,
    scheme_of: Ints,
) -> Ints:
    """Row positions sorted by (employee, indicator); refuses missing or duplicated values."""
    kept = np.flatnonzero(line_of >= 0)
    n_codes = len(prep.codes)
    pair = emp_codes[kept] * n_codes + ind_codes[kept]
    per_scheme = np.bincount(
        prep.frame.get_column(SCHEME_KEY).to_numpy(), minlength=len(prep.schemes)
    )
    expected = int(per_scheme[scheme_of].sum())
    slots = emp.frame.height * n_codes
    if slots <= COUNTING_SORT_LIMIT:
        position = np.full(slots, -1, dtype=np.int64)
        position[pair] = kept  # duplicates overwrite each other: counted below
        order = position[position >= 0]
    else:
        by_pair = np.argsort(pair, kind="stable")
        order = kept[by_pair]
        first = np.ones(len(by_pair), dtype=bool)
        first[1:] = np.diff(pair[by_pair]) != 0
        order = order[first]
    if len(order) == expected and len(kept) == expected:
        return order
    if len(order) < expected:
        _refuse_missing(emp_codes[order], ind_codes[order], emp, prep)
    present = pl.DataFrame({"_p": pair})
    dup = present.group_by("_p").len().filter(pl.col("len") > 1).sort("_p").head(MAX_LISTED)
    rows = [
        {
            c.EMPLOYEE_ID: emp.frame.get_column(c.EMPLOYEE_ID)[p // n_codes],
            c.INDICATOR: prep.codes[p % n_codes],
        }
        for p in dup.get_column("_p").to_list()
    ]
    first_row = rows[0]
    raise EngineError(
        "duplicate_row",
        f"values: employee {first_row[c.EMPLOYEE_ID]}, indicator {first_row[c.INDICATOR]} "
        "appears more than once",
        {"frame": "values", **first_row, "rows": rows},
    )


def _refuse_missing(emp_keys: Ints, ind_keys: Ints, emp: Employees, prep: PreparedLines) -> None:
    wanted = emp.frame.select(EMP_KEY, c.EMPLOYEE_ID, c.SCHEME).join(
        prep.frame.select(c.SCHEME, c.INDICATOR, IND_KEY), on=c.SCHEME
    )
    have = pl.DataFrame({EMP_KEY: emp_keys.astype(np.uint32), IND_KEY: ind_keys.astype(np.uint32)})
    missing = wanted.join(have, on=[EMP_KEY, IND_KEY], how="anti").sort(EMP_KEY, IND_KEY)
    rows = missing.select(c.EMPLOYEE_ID, c.INDICATOR).head(MAX_LISTED)
    first = rows.row(0, named=True)
    raise EngineError(
        "value_missing",
        f"employee {first[c.EMPLOYEE_ID]}, indicator {first[c.INDICATOR]}: no value row",
        {**first, "rows": rows.to_dicts(), "count": missing.height},
    )


def _problem(
    actual: float | None, target: float | None, benchmark: float | None, plan: RulePlan
) -> tuple[str, str]:
    if actual is None or math.isnan(actual):
        return "actual_missing", "actual value is missing"
    low, high = plan.actual_min, plan.actual_max
    if not low <= actual <= high:
        return "actual_out_of_range", f"actual {actual:g} is outside [{low:g}, {high:g}]"
    if plan.ref_kind == RefKind.TARGET:
        return "target_invalid", f"target {target!r} is missing or not greater than 0"
    return "benchmark_invalid", f"benchmark {benchmark!r} is missing or not greater than 0"


def _refuse_bad_rows(
    positions: Ints,
    emp_key: Ints,
    line_key: Ints,
    inputs: pl.DataFrame,
    by_spec: Ints,
    emp: Employees,
    prep: PreparedLines,
) -> None:
    """Refuse with the first offending rows in output order, each with its problem."""
    ids = emp.frame.get_column(c.EMPLOYEE_ID)
    lines = prep.frame
    where = np.empty(len(by_spec), dtype=np.int64)
    where[by_spec] = np.arange(len(by_spec))  # output position → row of ``inputs``
    rows = []
    for pos in positions[:MAX_LISTED].tolist():
        line = int(line_key[pos])
        actual, target, benchmark = inputs.row(int(where[pos]))[:3]
        plan = prep.specs[lines.get_column(SPEC_ID)[line]].plan
        code, why = _problem(actual, target, benchmark, plan)
        rows.append(
            {
                "employee_id": ids[int(emp_key[pos])],
                "indicator": lines.get_column(c.INDICATOR)[line],
                "rule": lines.get_column(c.RULE)[line],
                "problem": code,
                "reason": why,
            }
        )
    first = rows[0]
    raise EngineError(
        first["problem"],
        f"employee {first['employee_id']}, indicator {first['indicator']} "
        f"(rule {first['rule']}): {first['reason']}",
        {**first, "rows": rows, "count": len(positions)},
    )

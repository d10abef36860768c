"""Score a whole cycle in one engine call and store the results idempotently.

Three stages, each timed (the benchmark prints them): **read** the snapshot and every input
(facts through ``heng.integrations.selectors.metric_values``, targets, manager entries, 360
answers, bonus points), **score** with ``heng.engine.score`` once, **write** by deleting and
re-inserting the cycle's results in one transaction — so a re-run (also after a killed worker)
replaces and never duplicates.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.core.bulk import insert_frame
from heng.core.frames import fixed_point, json_string, queryset_frame
from heng.engine import ENGINE_VERSION, EngineError, ScoringConfig, input_hash, score
from heng.engine.result import ScoreResult
from heng.integrations.selectors import metric_values
from heng.org.models import OrgUnit
from heng.performance.cycle_errors import CycleConflict, ScoringRefused
from heng.performance.documents.model import TARGET_RULES
from heng.performance.models import (
    ANONYMITY_MIN,
    EXPLAIN_COLUMNS,
    BonusEntry,
    Cycle,
    CycleState,
    InvitationStatus,
    ManualValue,
    Participant,
    ParticipantStatus,
    Questionnaire,
    RaterGroup,
    Result,
    ReviewInvitation,
    Target,
)

Progress = Callable[[int, str], None]
SCORABLE = (CycleState.OPEN, CycleState.SELF_REVIEW, CycleState.MANAGER_SCORING)


@dataclass
class Inputs:
    employees: pl.DataFrame
    lines: pl.DataFrame
    values: pl.DataFrame
    reviews: pl.DataFrame | None
    bonus: pl.DataFrame | None
    participant_ids: dict[str, int] = field(default_factory=dict)
    employee_pks: dict[str, int] = field(default_factory=dict)
    # The rater-group weights the 360 was combined with (None: plain mean of all answers).
    review_group_weights: dict[str, Decimal] | None = None


@dataclass
class Timings:
    read: float = 0.0
    score: float = 0.0
    write: float = 0.0
    rows: int = 0


def _lines_frame(cycle: Cycle) -> pl.DataFrame:
    rows = []
    for key, lines in cycle.line_sets.items():
        for ln in lines:
            kind = cycle.indicators[ln["indicator"]]["value_source"]["kind"]
            rows.append(
                {
                    "scheme": key,
                    "indicator": ln["indicator"],
                    "category": ln["category"],
                    "direction": ln["direction"],
                    "rule": ln["rule"],
                    "params": json.dumps(ln["params"], sort_keys=True),
                    "weight": float(ln["weight"]),
                    "name_zh": ln["name"],
                    "name_en": ln["name_en"] or ln["name"],
                    "source_set": ln["source_set"],
                    "target_value": None
                    if ln["target_value"] is None
                    else float(ln["target_value"]),
                    "kind": kind,
                    "rate": cycle.indicators[ln["indicator"]]["unit"] == "%",
                    "needs_target": ln["rule"] in TARGET_RULES
                    or (ln["rule"] == "relative" and ln["params"].get("against") == "benchmark"),
                }
            )
    return pl.DataFrame(rows, schema_overrides={"target_value": pl.Float64})


def _formulas(cycle: Cycle) -> dict[str, str]:
    out = {}
    for code, ind in cycle.indicators.items():
        src = ind["value_source"]
        if src["kind"] == "metric" and src.get("metric"):
            out[code] = src["metric"]
        elif src["kind"] == "formula" and src.get("formula"):
            out[code] = src["formula"]
    return out


def review_group_weights(cycle: Cycle) -> dict[str, Decimal] | None:
    """The 360's rater-group weights: the questionnaire's, else the framework's, else None
    (a plain mean of every answer)."""
    own = Questionnaire.objects.filter(cycle=cycle).values_list("group_weights", flat=True)
    raw = next(iter(own), None) or cycle.framework.get("review_group_weights") or None
    return {str(g): Decimal(str(w)) for g, w in raw.items()} if raw else None


def _review_scores(answers: pl.DataFrame, weights: dict[str, Decimal] | None) -> pl.DataFrame:
    """pid → review: the mean per rater group, combined with the group weights over the
    groups that answered (their weights renormalised to 100); without weights, the plain
    mean of all answers. ``answers`` holds only weighted groups (see ``cycle_inputs``)."""
    if not weights:
        return answers.group_by("pid").agg(pl.col("value").mean().alias("review"))
    share = {g: float(w) for g, w in weights.items()}
    per_group = answers.group_by("pid", "rater_group").agg(pl.col("value").mean().alias("mean"))
    per_group = per_group.with_columns(
        pl.col("rater_group").replace_strict(share, return_dtype=pl.Float64).alias("w")
    )
    return per_group.group_by("pid").agg(
        ((pl.col("mean") * pl.col("w")).sum() / pl.col("w").sum()).alias("review")
    )


def cycle_inputs(cycle: Cycle) -> Inputs:
    """Every input of the cycle as engine frames (read stage)."""
    people = pl.DataFrame(
        list(
            cycle.participants.filter(status=ParticipantStatus.ACTIVE).values_list(
                "pk",
                "employee_id",
                "employee_no",
                "name",
                "unit__code",
                "region_code",
                "line_set",
                "days_factor",
                "unit_days",
            )
        ),
        schema={
            "pid": pl.Int64,
            "emp_pk": pl.Int64,
            "employee_id": pl.String,
            "name": pl.String,
            "unit": pl.String,
            "region": pl.String,
            "scheme": pl.String,
            "days_factor": pl.Float64,
            "unit_days": pl.Object,
        },
        orient="row",
    )
    if people.is_empty():
        raise ScoringRefused(_("Nobody in this cycle is scored."), code="empty_cycle")
    lines = _lines_frame(cycle)
    grid = people.select("pid", "emp_pk", "employee_id", "scheme", "days_factor").join(
        lines.select("scheme", "indicator", "kind", "rate", "needs_target", "target_value"),
        on="scheme",
    )
    # Facts: the employee's own value; else the units he worked in, weighted by days.
    facts = metric_values(
        formulas=_formulas(cycle), period_start=cycle.period_start, period_end=cycle.period_end
    )
    own = facts.filter(pl.col("subject_type") == "employee").select(
        pl.col("subject_id").alias("emp_pk"),
        pl.col("key").alias("indicator"),
        pl.col("value").alias("fact"),
    )
    grid = grid.join(own, on=["emp_pk", "indicator"], how="left")
    unit_facts = facts.filter(pl.col("subject_type") == "unit")
    if not unit_facts.is_empty():
        ids = dict(OrgUnit.objects.values_list("code", "pk"))
        days = pl.DataFrame(
            [
                (pid, ids[c], d)
                for pid, ud in people.select("pid", "unit_days").iter_rows()
                for c, d in ud.items()
            ],
            schema={"pid": pl.Int64, "unit_pk": pl.Int64, "days": pl.Int64},
            orient="row",
        )
        blended = (
            days.join(
                unit_facts.select(
                    pl.col("subject_id").alias("unit_pk"), pl.col("key").alias("indicator"), "value"
                ),
                on="unit_pk",
            )
            .group_by("pid", "indicator")
            .agg(
                ((pl.col("value") * pl.col("days")).sum() / pl.col("days").sum()).alias("unit_fact")
            )
        )
        grid = (
            grid.join(blended, on=["pid", "indicator"], how="left")
            .with_columns(pl.coalesce("fact", "unit_fact").alias("fact"))
            .drop("unit_fact")
        )
    manual = queryset_frame(
        ManualValue.objects.filter(participant__cycle=cycle).values_list(
            "participant_id", "indicator", "value"
        ),
        {"pid": pl.Int64, "indicator": pl.String, "manual": pl.Float64},
    )
    targets = queryset_frame(
        Target.objects.filter(participant__cycle=cycle).values_list(
            "participant_id", "indicator", "value"
        ),
        {"pid": pl.Int64, "indicator": pl.String, "assigned": pl.Float64},
    )
    answers = pl.DataFrame(
        list(
            ReviewInvitation.objects.filter(
                participant__cycle=cycle, status=InvitationStatus.SUBMITTED
            ).values_list("participant_id", "group", "score")
        ),
        schema={"pid": pl.Int64, "rater_group": pl.String, "value": pl.Float64},
        orient="row",
    )
    # 360: the rater-group-weighted average — for review-kind indicators here and for the
    # engine's 360 part (same weights, see ``cycle_score``). Answers of groups without weight
    # count for nothing, so they are left out before either sees them.
    group_weights = review_group_weights(cycle)
    if group_weights:
        weighted = [g for g, w in group_weights.items() if w > 0]
        answers = answers.filter(pl.col("rater_group").is_in(weighted))
    # Anonymity holds in the total too: a peer or subordinate group with fewer than
    # ANONYMITY_MIN answers is left out (its weight renormalised away), or the person could
    # work a lone peer's score back out of the 360 figure next to the visible self/manager.
    answers = answers.filter(
        ~pl.col("rater_group").is_in([RaterGroup.PEER.value, RaterGroup.SUBORDINATE.value])
        | (pl.len().over("pid", "rater_group") >= ANONYMITY_MIN)
    )
    review_mean = _review_scores(answers, group_weights)
    grid = (
        grid.join(manual, on=["pid", "indicator"], how="left")
        .join(targets, on=["pid", "indicator"], how="left")
        .join(review_mean, on="pid", how="left")
    )
    grid = grid.with_columns(
        pl.when(pl.col("kind") == "manual")
        .then(pl.col("manual"))
        .when(pl.col("kind") == "review")
        .then(pl.col("review"))
        .otherwise(pl.col("fact"))
        .alias("actual"),
        # Quantities are prorated for part-period people; rates (%) are not.
        (
            pl.coalesce("assigned", "target_value")
            * pl.when(pl.col("rate")).then(1.0).otherwise(pl.col("days_factor"))
        ).alias("target"),
    )
    _refuse_gaps(grid)
    values = grid.select(
        "employee_id", "indicator", "actual", "target", pl.col("target").alias("benchmark")
    )
    fw = cycle.framework
    reviews = None
    if fw.get("review_weight"):
        reviews = answers.join(people.select("pid", "employee_id"), on="pid").select(
            "employee_id", "value", "rater_group"
        )
    bonus_rows = list(
        BonusEntry.objects.filter(participant__cycle=cycle).values_list(
            "participant__employee_no", "points"
        )
    )
    bonus = (
        pl.DataFrame(
            bonus_rows, schema={"employee_id": pl.String, "points": pl.Float64}, orient="row"
        )
        if bonus_rows
        else None
    )
    employees = people.select("employee_id", "scheme", "name", "unit", "region")
    return Inputs(
        employees,
        lines.drop("target_value", "kind", "rate", "needs_target"),
        values,
        reviews,
        bonus,
        dict(people.select("employee_id", "pid").iter_rows()),
        dict(people.select("employee_id", "emp_pk").iter_rows()),
        group_weights,
    )


def _refuse_gaps(grid: pl.DataFrame) -> None:
    for column, code, text in (
        ("target", "target_missing", _("%(no)s has no target for %(code)s (%(count)s in all).")),
        ("actual", "value_missing", _("%(no)s has no value for %(code)s (%(count)s in all).")),
    ):
        cond = pl.col(column).is_null()
        if column == "target":
            cond = cond & pl.col("needs_target")
        gaps = grid.filter(cond).sort("employee_id", "indicator")
        if gaps.height:
            first = gaps.row(0, named=True)
            raise ScoringRefused(
                text
                % {"no": first["employee_id"], "code": first["indicator"], "count": gaps.height},
                code=code,
                fields={
                    f"{r['employee_id']}.{r['indicator']}": column
                    for r in gaps.head(20).iter_rows(named=True)
                },
            )


def _json_text(column: str) -> pl.Expr:
    """A column as JSON text: strings quoted and escaped, numbers as Polars prints them
    (shortest round-trip form), null as null."""
    expr = pl.col(column)
    if column == "indicator":
        return json_string(expr)
    # NaN and infinity are not JSON: null, like a missing value.
    return pl.when(expr.is_finite()).then(expr.cast(pl.Utf8)).otherwise(pl.lit("null"))


def _explanations(result: ScoreResult) -> pl.DataFrame:
    """One JSON array text per employee — per indicator an array in EXPLAIN_COLUMNS order —
    written by string concatenation in Polars (no JSON encoder per row)."""
    ind = result.indicators.select(
        "employee_id", pl.col("indicator").cast(pl.String), *EXPLAIN_COLUMNS[1:]
    )
    parts: list[pl.Expr] = [pl.lit("[")]
    for n, column in enumerate(EXPLAIN_COLUMNS):
        parts += [pl.lit(","), _json_text(column)] if n else [_json_text(column)]
    parts.append(pl.lit("]"))
    return ind.group_by("employee_id", maintain_order=True).agg(
        pl.concat_str(parts).str.join(",").alias("indicators")
    )


def _categories(result: ScoreResult) -> pl.DataFrame:
    cat = result.categories.select(
        "employee_id",
        pl.col("category").cast(pl.String),
        "score",
        "effective_weight",
        "contribution",
    )
    return cat.group_by("employee_id", maintain_order=True).agg(
        pl.struct("category", "score", "effective_weight", "contribution")
        .struct.json_encode()
        .str.join(",")
        .alias("categories")
    )


def _store_frame(cycle: Cycle, inputs: Inputs, result: ScoreResult, digest: str) -> pl.DataFrame:
    """One row per result, as :class:`Result` columns (scores as 4-decimal text)."""
    totals = result.totals.join(_explanations(result), on="employee_id").join(
        _categories(result), on="employee_id", how="left"
    )
    return totals.select(
        pl.lit(cycle.pk).alias("cycle_id"),
        pl.col("employee_id")
        .replace_strict(inputs.participant_ids, return_dtype=pl.Int64)
        .alias("participant_id"),
        pl.col("employee_id")
        .replace_strict(inputs.employee_pks, return_dtype=pl.Int64)
        .alias("employee_id"),
        fixed_point(pl.col("kpi")).alias("kpi"),
        fixed_point(pl.col("review_score")).alias("review_score"),
        fixed_point(pl.col("bonus")).alias("bonus"),
        fixed_point(pl.col("total")).alias("total"),
        pl.col("rating").cast(pl.String).alias("rating"),
        pl.col("rank").cast(pl.Int64),
        pl.col("group_size").cast(pl.Int64),
        fixed_point(pl.col("total")).alias("final_total"),
        pl.col("rating").cast(pl.String).alias("final_rating"),
        pl.concat_str(pl.lit("["), pl.col("indicators"), pl.lit("]")).alias("indicators"),
        pl.concat_str(pl.lit("["), pl.col("categories").fill_null(""), pl.lit("]")).alias(
            "categories"
        ),
        pl.lit(ENGINE_VERSION).alias("engine_version"),
        pl.lit(digest).alias("input_hash"),
    )


def _store(cycle: Cycle, inputs: Inputs, result: ScoreResult, digest: str) -> int:
    rows = _store_frame(cycle, inputs, result, digest)
    with transaction.atomic():
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.state not in SCORABLE:
            raise CycleConflict(_("The cycle can no longer be scored."), code="not_scorable")
        Result.objects.filter(cycle=cycle).delete()
        insert_frame(Result, rows)
        Cycle.objects.filter(pk=cycle.pk).update(
            score_progress=100,
            score_status="done",
            score_message="",
            scored_at=timezone.now(),
            engine_version=ENGINE_VERSION,
            input_hash=digest,
        )
    return rows.height


def cycle_score(
    *, cycle: Cycle, progress: Progress | None = None, timings: Timings | None = None
) -> int:
    """Score every active participant; returns how many results were stored.

    Refused (nothing written) when a target or value is missing or the engine refuses.
    """
    step = progress or (lambda pct, stage: None)
    timings = timings if timings is not None else Timings()
    cycle.refresh_from_db()
    if cycle.state not in SCORABLE:
        raise CycleConflict(_("The cycle can no longer be scored."), code="not_scorable")

    def mark(pct: int, stage: str) -> None:
        Cycle.objects.filter(pk=cycle.pk).update(score_progress=pct, score_status=stage)
        step(pct, stage)

    try:
        mark(5, "reading")
        t = time.perf_counter()
        inputs = cycle_inputs(cycle)
        timings.read = time.perf_counter() - t
        mark(40, "scoring")
        t = time.perf_counter()
        config = ScoringConfig.create(
            **_config_kwargs(cycle.framework, inputs.review_group_weights), rank_by="unit"
        )
        kwargs: dict[str, Any] = {
            "employees": inputs.employees,
            "lines": inputs.lines,
            "values": inputs.values,
            "config": config,
            "reviews": inputs.reviews,
            "bonus": inputs.bonus,
        }
        result = score(**kwargs)
        digest = input_hash(**kwargs)
        timings.score = time.perf_counter() - t
        mark(70, "writing")
        t = time.perf_counter()
        timings.rows = _store(cycle, inputs, result, digest)
        timings.write = time.perf_counter() - t
        step(100, "done")
    except EngineError as exc:
        Cycle.objects.filter(pk=cycle.pk).update(score_status="failed", score_message=exc.message)
        raise ScoringRefused(
            _("The engine refused the cycle: %(reason)s") % {"reason": exc.message}, code=exc.code
        ) from None
    except Exception as exc:
        Cycle.objects.filter(pk=cycle.pk).update(
            score_status="failed", score_message=str(exc)[:500]
        )
        raise
    return timings.rows


def _config_kwargs(
    fw: dict[str, Any], review_group_weights: dict[str, Decimal] | None = None
) -> dict[str, Any]:
    """Engine configuration from the frozen framework; ``review_group_weights`` (the
    questionnaire's, see :func:`review_group_weights`) replaces the framework's."""
    return {
        "category_weights": fw["category_weights"],
        "kpi_weight": fw["kpi_weight"],
        "review_weight": fw["review_weight"],
        "review_scale": (fw["review_scale"][0], fw["review_scale"][1]),
        "review_group_weights": review_group_weights or fw["review_group_weights"],
        "bonus_cap": fw["bonus_cap"],
        "rating_bands": fw["rating_bands"],
        "target_mix": fw["target_mix"] or None,
    }


@transaction.atomic
def cycle_score_enqueue(*, actor: Any, cycle: Cycle) -> None:
    """Queue scoring for the worker (after commit); the page polls the progress."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if cycle.state not in SCORABLE:
        raise CycleConflict(_("The cycle can no longer be scored."), code="not_scorable")
    Cycle.objects.filter(pk=cycle.pk).update(
        score_progress=0, score_status="queued", score_message=""
    )
    from heng.performance.tasks import score_cycle

    pk = cycle.pk
    transaction.on_commit(lambda: score_cycle.enqueue(cycle_id=pk))


def participant_for(result: Result) -> Participant:
    return result.participant

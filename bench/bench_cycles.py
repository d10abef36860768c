"""Cycle scoring benchmark (issue 5), in its own throw-away PostgreSQL database.

``cycle_score_100k_postgres``: an appraisal cycle of 100,000 participants × 20 indicators
scored end to end through the real services — ``cycle_score`` (read every input through the
data-integration selector and the cycle tables, one ``heng.engine.score`` call, write the
results idempotently) and ``cycle_publish`` (every final result into the hash-chained
ledger). Inputs are loaded with COPY (setup, not measured): 100 units, 100,000 employees and
participants, 20 metrics with two reports each in the month (4,000,000 facts) and
1,000,000 per-participant targets.

Baseline: what a per-participant implementation does — ORM reads of each person's facts and
targets, one engine call per person, ``create()`` of the result and the ledger entry — timed
on a sample and extrapolated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench.bench_ingest import _pg_admin, _pg_url
from bench.harness import Goal, Measured, benchmark, setup_django

DB_NAME = "heng_bench_cycles"
N_PEOPLE = 100_000
N_UNITS = 100
PERIOD = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
REPORT_DAYS = (dt.date(2026, 3, 11), dt.date(2026, 3, 25))
# 10 result indicators with per-person targets, 6 process ones with the line's fixed target,
# 4 growth ones scored by frequency: weights 5 each, 100 in all.
CODES = [f"i{n:02d}" for n in range(1, 21)]
WITH_TARGETS = CODES[:10]
SAMPLE = 20
PARTICIPANT_COLUMNS = [
    *("cycle_id", "employee_id", "employee_no", "name", "unit_id", "home_unit_id"),
    *("unit_path", "region_code", "position_code", "scheme_code", "line_set", "status"),
    *("days_factor", "unit_days", "note", "manager_comment"),
]


@contextlib.contextmanager
def database() -> Iterator[None]:
    workdir = Path(tempfile.mkdtemp(prefix="heng-bench-"))
    os.environ["HENG_VAR_DIR"] = str(workdir)
    os.environ["HENG_LOG_LEVEL"] = "WARNING"
    _pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {DB_NAME}")
    setup_django(_pg_url(DB_NAME))
    from django.core.management import call_command
    from django.db import connections

    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield
    finally:
        connections.close_all()
        _pg_admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


def _copy(table: str, columns: list[str], frame: pl.DataFrame) -> None:
    from django.db import connection

    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(frame.select(columns).write_csv(include_header=False).encode())


def _line(code: str) -> dict[str, Any]:
    n = int(code[1:])
    category = "result" if n <= 10 else "process" if n <= 16 else "growth"
    rule = "frequency" if category == "growth" else "linear"
    return {
        "indicator": code,
        "name": f"指标{n}",
        "name_en": f"Indicator {n}",
        "category": category,
        "direction": "higher",
        "unit": "次",
        "weight": "5",
        "rule": rule,
        "params": {"minimum": 800} if rule == "frequency" else {"cap": 120},
        "target_method": "fixed",
        "target_value": "1000" if category == "process" else None,
        "source_set": "main",
        "why": "bench",
    }


FRAMEWORK = {
    "code": "BENCH",
    "name": "bench",
    "name_en": "bench",
    "description": "",
    "category_weights": {"result": 40, "process": 30, "growth": 30},
    "kpi_weight": 100,
    "review_weight": 0,
    "review_scale": [0, 100],
    "review_group_weights": None,
    "bonus_cap": None,
    "rating_bands": [
        {"code": "excellent", "min": 90, "name_zh": "优秀", "name_en": "Excellent"},
        {"code": "good", "min": 80, "name_zh": "良好", "name_en": "Good"},
        {"code": "pass", "min": 60, "name_zh": "合格", "name_en": "Pass"},
        {"code": "unqualified", "min": 0, "name_zh": "不合格", "name_en": "Unqualified"},
    ],
    "target_mix": [],
}


def _setup() -> Any:
    """Units, people, a cycle in manager scoring with its participants, facts and targets."""
    from django.db import connection

    from heng.integrations.models import Batch
    from heng.integrations.services import metric_create, source_create
    from heng.org.services import unit_create
    from heng.people.models import Employee
    from heng.performance.models import Cycle, CycleState, Participant

    company = unit_create(parent=None, code="BENCH", name="基准公司", kind="company")
    units = [
        unit_create(parent=company, code=f"U{i:03d}", name=f"门店{i}", kind="store")
        for i in range(N_UNITS)
    ]
    Employee.objects.bulk_create(
        [
            Employee(
                employee_no=f"E{i:06d}",
                name=f"员工{i}",
                hire_date=dt.date(2020, 1, 1),
                unit=units[i % N_UNITS],
            )
            for i in range(N_PEOPLE)
        ],
        batch_size=5000,
    )
    lines = [_line(c) for c in CODES]
    cycle = Cycle.objects.create(
        code="BENCH-2026-03",
        name="bench",
        cadence="monthly",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        position_codes=["bench"],
        framework=FRAMEWORK,
        indicators={
            c: {
                "name": f"指标{c}",
                "name_en": c,
                "unit": "次",
                "value_source": {"kind": "metric", "metric": f"kpi.{c}", "formula": ""},
            }
            for c in CODES
        },
        line_sets={"main": lines},
        targets_locked=True,
    )
    Cycle.objects.filter(pk=cycle.pk).update(state=CycleState.MANAGER_SCORING)
    emp = pl.DataFrame(
        list(Employee.objects.values_list("pk", "employee_no", "name", "unit_id")),
        schema={"emp": pl.Int64, "no": pl.String, "name": pl.String, "unit_id": pl.Int64},
        orient="row",
    )
    paths = pl.DataFrame(
        [(u.pk, u.path, u.code) for u in units],
        schema={"unit_id": pl.Int64, "unit_path": pl.String, "unit_code": pl.String},
        orient="row",
    )
    people = emp.join(paths, on="unit_id").with_columns(
        pl.lit(cycle.pk).alias("cycle_id"),
        pl.col("unit_id").alias("home_unit_id"),
        pl.lit("").alias("region_code"),
        pl.lit("bench").alias("position_code"),
        pl.lit("BENCH").alias("scheme_code"),
        pl.lit("main").alias("line_set"),
        pl.lit("active").alias("status"),
        pl.lit("1").alias("days_factor"),
        ('{"' + pl.col("unit_code") + '": 31}').alias("unit_days"),
        pl.lit("").alias("note"),
        pl.lit("").alias("manager_comment"),
    )
    people = people.rename({"emp": "employee_id", "no": "employee_no"})
    _copy(
        "performance_participant",
        PARTICIPANT_COLUMNS,
        people,
    )
    pids = np.array(
        list(Participant.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True))
    )
    rng = np.random.default_rng(5)
    targets = pl.DataFrame(
        {
            "participant_id": np.tile(pids, len(WITH_TARGETS)),
            "indicator": np.repeat(WITH_TARGETS, pids.size),
            "method": "fixed",
            "value": rng.integers(800, 1200, pids.size * len(WITH_TARGETS)),
            "basis": "{}",
            "set_at": "2026-02-28T00:00:00+00:00",
        }
    )
    _copy("performance_target", targets.columns, targets)
    source = source_create(code="kpi", name="kpi")
    metric_ids = [
        metric_create(source=source, code=c, name=c, value_type="integer", aggregation="sum").pk
        for c in CODES
    ]
    batch = Batch.objects.create(source=source, via="cli", status="committed")
    employee_ids = emp["emp"].to_numpy()
    n = employee_ids.size
    for day in REPORT_DAYS:
        for metric_id in metric_ids:
            facts = pl.DataFrame(
                {
                    "metric_id": np.full(n, metric_id),
                    "employee_id": employee_ids,
                    "date": day.isoformat(),
                    "value": rng.integers(200, 800, n).astype(float),
                    "batch_id": batch.pk,
                    "row_no": np.arange(1, n + 1),
                }
            )
            _copy("integrations_fact", facts.columns, facts)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return cycle


def _per_person(cycle: Any, sample: list[int]) -> float:
    """Baseline: per participant, ORM reads, one engine call, create() result and ledger row."""
    from django.db import transaction
    from django.db.models import Sum

    from heng.engine import ENGINE_VERSION, ScoringConfig, score
    from heng.integrations.models import Fact, Metric
    from heng.performance.models import LedgerEntry, Participant, Result, Target
    from heng.performance.services.scoring import _config_kwargs, _lines_frame

    metrics = {m.code: m.pk for m in Metric.objects.all()}
    lines = _lines_frame(cycle)
    engine_lines = lines.drop("target_value", "kind", "rate", "needs_target")
    config = ScoringConfig.create(**_config_kwargs(cycle.framework), rank_by="unit")
    start = time.perf_counter()
    with transaction.atomic():
        prev = "0" * 64
        for pid in sample:
            p = Participant.objects.select_related("unit").get(pk=pid)
            targets = dict(Target.objects.filter(participant=p).values_list("indicator", "value"))
            # One grouped aggregate per person (kinder than one query per indicator).
            sums = dict(
                Fact.objects.filter(
                    employee_id=p.employee_id, date__gte=PERIOD[0], date__lte=PERIOD[1]
                )
                .values("metric_id")
                .annotate(v=Sum("value"))
                .values_list("metric_id", "v")
            )
            rows = []
            for ln in lines.iter_rows(named=True):
                target = targets.get(ln["indicator"], ln["target_value"])
                rows.append(
                    (
                        p.employee_no,
                        ln["indicator"],
                        sums.get(metrics[ln["indicator"]]),
                        None if target is None else float(target),
                    )
                )
            values = pl.DataFrame(
                rows,
                schema={
                    "employee_id": pl.String,
                    "indicator": pl.String,
                    "actual": pl.Float64,
                    "target": pl.Float64,
                },
                orient="row",
            ).with_columns(pl.col("target").alias("benchmark"))
            employees = pl.DataFrame(
                {
                    "employee_id": [p.employee_no],
                    "scheme": ["main"],
                    "name": [p.name],
                    "unit": [p.unit.code],
                    "region": [""],
                }
            )
            out = score(employees=employees, lines=engine_lines, values=values, config=config)
            total = out.totals.row(0, named=True)
            Result.objects.filter(participant=p).delete()
            Result.objects.create(
                cycle=cycle,
                participant=p,
                employee_id=p.employee_id,
                kpi=total["kpi"],
                bonus=total["bonus"],
                total=total["total"],
                rating=str(total["rating"]),
                rank=1,
                group_size=1,
                final_total=total["total"],
                final_rating=str(total["rating"]),
                indicators=out.indicators.write_json(),
                engine_version=ENGINE_VERSION,
                input_hash="",
            )
            payload = json.dumps({"no": p.employee_no, "total": total["total"]}, sort_keys=True)
            digest = hashlib.sha256(f"{prev}\n{payload}".encode()).hexdigest()
            LedgerEntry.objects.create(
                seq=10**9 + pid,
                kind="result",
                cycle_code=cycle.code,
                employee_no=p.employee_no,
                payload=payload,
                prev_hash=prev,
                hash=digest,
            )
            prev = digest
        transaction.set_rollback(True)  # the sample's rows must not disturb the real run
    return time.perf_counter() - start


@benchmark(
    "cycle_score_100k_postgres",
    unit="s",
    goal=Goal(max_value=30.0),
    requires=("postgres",),
)
def cycle_score_100k_postgres() -> Measured:
    with database():
        from heng.performance.models import LedgerEntry, Result
        from heng.performance.services.calibration import cycle_publish
        from heng.performance.services.cycles import cycle_advance
        from heng.performance.services.ledger import ledger_verify
        from heng.performance.services.scoring import Timings, cycle_score

        t0 = time.perf_counter()
        cycle = _setup()
        setup_seconds = time.perf_counter() - t0
        sample = list(cycle.participants.order_by("pk").values_list("pk", flat=True)[:SAMPLE])
        timings = Timings()
        start = time.perf_counter()
        stored = cycle_score(cycle=cycle, timings=timings)
        cycle = cycle_advance(actor=None, cycle=cycle, to="calibration")
        t = time.perf_counter()
        written = cycle_publish(actor=None, cycle=cycle)
        ledger_seconds = time.perf_counter() - t
        seconds = time.perf_counter() - start
        loop_seconds = _per_person(cycle, sample)
        assert stored == N_PEOPLE, stored
        assert written == N_PEOPLE
        assert LedgerEntry.objects.count() == N_PEOPLE
        assert Result.objects.count() == N_PEOPLE
        check = ledger_verify()
        assert check.ok, check
        factor = N_PEOPLE / len(sample)
        return {
            "value": seconds,
            "baseline": loop_seconds * factor,
            "notes": (
                f"Heng: cycle_score + cycle_publish of {N_PEOPLE:,} participants × 20 indicators "
                f"({N_UNITS} units, ranked per unit; 10 indicators with per-person targets, "
                "6 with fixed line targets, 4 by frequency; 4,000,000 facts in the month): "
                f"read {timings.read:.2f} s (facts via metric_values, participants, "
                f"1,000,000 targets), score {timings.score:.2f} s (one engine call + input "
                f"hash), write results {timings.write:.2f} s, publish into the ledger "
                f"{ledger_seconds:.2f} s ({written:,} hash-chained entries; the chain verifies "
                f"afterwards); {stored:,} results. Setup with COPY {setup_seconds:.0f} s, not "
                "counted. Baseline: per participant ORM reads (one grouped aggregate of his "
                "facts, his targets), one engine call"
                f" and create() of result and ledger row, timed on {len(sample)} "
                f"people ({loop_seconds:.2f} s) and extrapolated ×{factor:g}."
            ),
        }

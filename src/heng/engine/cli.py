"""``heng score SCENARIO.yaml``: run the engine on a scenario file, without Django."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import polars as pl

from heng.engine import columns as c
from heng.engine.engine import ENGINE_VERSION
from heng.engine.errors import EngineError
from heng.engine.result import ScoreResult
from heng.engine.scenario import Scenario, load_scenario
from heng.engine.table import render_table

__all__ = ["main"]

DESCRIPTION = """\
Score everyone in a scenario file and print the results.

A scenario file (YAML) holds the scheme(s), the people and their indicator values; see
docs/scenario-format.md. Nothing is read from or written to a database.
"""
EPILOG = """\
examples:
  heng score examples/dispatched_chef.yaml
  heng score examples/douyin_12_branches.yaml --by region
  heng score examples/operations_kpi_360.yaml --explain OP01
  heng score examples/ecommerce_departments.yaml --format json > result.json

exit status: 0 scored, 2 the file or its data were refused (the reason is printed).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="heng score",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario file to score")
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table for people (default), json for programs",
    )
    parser.add_argument(
        "--explain",
        metavar="EMPLOYEE",
        help="also show how this employee's score was computed, line by line",
    )
    parser.add_argument(
        "--by",
        metavar="ATTRIBUTE",
        help="check the rating mix per group of this employee attribute "
        "(e.g. region); default: the file's ratings.distribution_by",
    )
    return parser


def _records(df: pl.DataFrame) -> list[dict[str, Any]]:
    return df.to_dicts()


def _json(scenario: Scenario, result: ScoreResult, by: str | None, explain: str | None) -> str:
    document: dict[str, Any] = {
        "engine_version": ENGINE_VERSION,
        "scenario": scenario.title,
        "input_hash": scenario.input_hash(),
        "totals": _records(result.totals),
        "categories": _records(result.categories),
        "source_sets": _records(result.sets),
        "distribution": _records(result.distribution(by)),
    }
    if explain is not None:
        document["explain"] = result.explain(explain)
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


def _totals_table(result: ScoreResult) -> str:
    t = result.totals
    has_review = t.get_column(c.REVIEW_SCORE).null_count() < t.height
    has_bonus = bool(t.get_column(c.BONUS_POINTS).sum())
    headers = ["员工 ID", "姓名", "方案 scheme", "KPI"]
    columns: list[str] = [c.EMPLOYEE_ID, c.NAME, c.SCHEME, c.KPI]
    if has_review:
        headers += ["360", "KPI 部分", "360 部分"]
        columns += [c.REVIEW_SCORE, c.KPI_PART, c.REVIEW_PART]
    if has_bonus:
        headers.append("加分 bonus")
        columns.append(c.BONUS)
    headers += ["总分 total", "等级 rating", "排名 rank"]
    columns += [c.TOTAL, c.RATING_ZH, c.RANK]
    rows = t.select([pl.col(x) if x in t.columns else pl.lit("") for x in columns]).rows()
    return render_table(headers, rows)


def _distribution_table(result: ScoreResult, by: str | None) -> str:
    d = result.distribution(by)
    headers = ["组 group", "档 bucket", "人数 n", "占比 %", "目标 %", "差 pp", "状态"]
    rows = d.select(
        c.GROUP, c.BUCKET, c.COUNT, c.SHARE, c.TARGET_SHARE, c.SHARE_DIFF, c.STATUS
    ).rows()
    return render_table(headers, rows)


def _explain_table(result: ScoreResult, employee: str) -> str:
    card = result.explain(employee)
    total = card["total"]
    lines = [f"员工 {employee} {total.get(c.NAME, '')} — 方案 {total[c.SCHEME]}"]
    headers = [
        "指标",
        "类别",
        "规则",
        "实际",
        "目标",
        "基准",
        "参照",
        "达成%",
        "得分",
        "权重",
        "有效权重",
        "贡献",
    ]
    rows = [
        [
            f"{x[c.NAME_ZH]} ({x[c.INDICATOR]})",
            x[c.CATEGORY],
            x[c.RULE],
            x[c.ACTUAL],
            x[c.TARGET],
            x[c.BENCHMARK],
            x[c.REFERENCE],
            x[c.ATTAINMENT],
            x[c.SCORE],
            x[c.WEIGHT],
            x[c.EFFECTIVE_WEIGHT],
            x[c.CONTRIBUTION],
        ]
        for x in card["indicators"]
    ]
    lines.append(render_table(headers, rows))
    lines.append("")
    lines.append(
        render_table(
            ["类别 category", "框架权重", "行权重和", "有效权重", "类别得分", "贡献"],
            [
                [
                    x[c.CATEGORY],
                    x[c.CATEGORY_WEIGHT],
                    x[c.WEIGHT],
                    x[c.EFFECTIVE_WEIGHT],
                    x[c.SCORE],
                    x[c.CONTRIBUTION],
                ]
                for x in card["categories"]
            ],
        )
    )
    if len(card["source_sets"]) > 1:  # e.g. dispatched staff: store lines and HQ lines
        lines.append("")
        lines.append(
            render_table(
                ["来源 source set", "行权重和", "有效权重", "得分", "贡献"],
                [
                    [
                        x[c.SOURCE_SET],
                        x[c.WEIGHT],
                        x[c.EFFECTIVE_WEIGHT],
                        x[c.SCORE],
                        x[c.CONTRIBUTION],
                    ]
                    for x in card["source_sets"]
                ],
            )
        )
    lines.append("")
    parts = [f"KPI {total[c.KPI]:.4f}"]
    if total[c.REVIEW_SCORE] is not None:
        parts.append(
            f"× {result.config.kpi_weight}% = {total[c.KPI_PART]:.4f}; "
            f"360 {total[c.REVIEW_SCORE]:.4f} × {result.config.review_weight}% "
            f"= {total[c.REVIEW_PART]:.4f}"
        )
    if total[c.BONUS_POINTS]:
        parts.append(f"加分 bonus {total[c.BONUS_POINTS]:g} → {total[c.BONUS]:g}")
    parts.append(
        f"总分 total {total[c.TOTAL]:.2f}，等级 {total[c.RATING_ZH]}，"
        f"排名 {total[c.RANK]}/{total[c.GROUP_SIZE]}"
    )
    lines.append("; ".join(parts))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``heng score …`` (``argv`` = the arguments after ``score``)."""
    args = _parser().parse_args(argv)
    try:
        scenario = load_scenario(args.scenario)
        result = scenario.run()
        by = args.by or scenario.distribution_by
        if args.format == "json":
            out = _json(scenario, result, by, args.explain)
        else:
            blocks = [
                f"{scenario.title}  (engine {ENGINE_VERSION})",
                _totals_table(result),
                "",
                "评级分布 rating mix",
                _distribution_table(result, by),
            ]
            if args.explain is not None:
                blocks += ["", _explain_table(result, args.explain)]
            out = "\n".join(blocks)
    except EngineError as exc:
        if args.format == "json":
            print(json.dumps({"error": exc.as_dict()}, ensure_ascii=False, indent=2))
        else:
            print(f"refused: {exc.message}  [{exc.code}]", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

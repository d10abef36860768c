"""Cycle results to XLSX (one row per participant, one column per indicator and category)."""

from __future__ import annotations

import io
import json

import xlsxwriter

from heng.performance.models import Cycle, Result


def cycle_export_xlsx(cycle: Cycle) -> bytes:
    results = list(
        Result.objects.filter(cycle=cycle)
        .select_related("participant", "participant__unit")
        .order_by("participant__employee_no")
    )
    indicators = sorted({r["indicator"] for x in results for r in x.indicator_rows()})
    categories = sorted({c["category"] for x in results for c in json.loads(x.categories)})
    head = [
        "工号 employee_no",
        "姓名 name",
        "单位 unit",
        "方案 scheme",
        "KPI",
        "360",
        "加分 bonus",
        "计算总分 computed",
        "最终总分 final",
        "等级 rating",
        "排名 rank",
        "人数 group",
    ]
    head += [f"{c} (score)" for c in indicators] + [f"[{c}]" for c in categories]
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(cycle.code[:31])
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, head, bold)
    for n, r in enumerate(results, start=1):
        p = r.participant
        scores = {x["indicator"]: x["score"] for x in r.indicator_rows()}
        cats = {c["category"]: c["score"] for c in json.loads(r.categories)}
        row = [
            p.employee_no,
            p.name,
            p.unit.name,
            p.scheme_code,
            float(r.kpi),
            None if r.review_score is None else float(r.review_score),
            float(r.bonus),
            float(r.total),
            float(r.final_total),
            r.final_rating,
            r.rank,
            r.group_size,
        ]
        row += [scores.get(c) for c in indicators] + [cats.get(c) for c in categories]
        sheet.write_row(n, 0, row)
    sheet.freeze_panes(1, 2)
    book.close()
    return out.getvalue()

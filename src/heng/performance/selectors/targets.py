"""Reads for the cycle input pages and API: the target grid, the manager entries a user must
make, bonus entries, and the target template file (CSV/XLSX) pre-filled with what is set."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from heng.performance.documents.model import decimal_text
from heng.performance.models import (
    BonusEntry,
    Cycle,
    ManualValue,
    Participant,
    Target,
    TargetMethodChoice,
)
from heng.performance.permissions import participants_editable_by, participants_listed_for
from heng.performance.services.targets import (
    COLUMNS,
    is_manual,
    manual_range,
    needs_target,
)

PAGE_SIZE = 50


def filter_participants(
    rows: QuerySet[Participant], *, unit: str = "", q: str = ""
) -> QuerySet[Participant]:
    """``unit``: a unit code (its participants scored there); ``q``: employee number or name."""
    if unit:
        rows = rows.filter(unit__code=unit)
    if q:
        rows = rows.filter(Q(employee_no__startswith=q) | Q(name__contains=q))
    return rows


def paginate(rows: QuerySet[Any], page: Any, size: int = PAGE_SIZE) -> Page[Any]:
    return Paginator(rows, size).get_page(page)


def basis_text(target: Target | None) -> str:
    """How a target was derived, in one line: "900 × 50% (÷2)", "460 (2026-01) +10%"."""
    if target is None:
        return ""
    b = target.basis or {}

    def n(key: str) -> str:
        return decimal_text(Decimal(str(b[key]))) if b.get(key) not in (None, "") else "?"

    if target.method == TargetMethodChoice.SPLIT:
        among = f" (÷{b['split_among']})" if "split_among" in b else ""
        return f"{n('unit_target')} × {n('share')}%{among}"
    if target.method == TargetMethodChoice.BASELINE:
        growth = Decimal(str(b.get("growth") or 0))
        sign = "+" if growth >= 0 else ""
        source = f" ({b['baseline_cycle']})" if b.get("baseline_cycle") else ""
        return f"{n('baseline')}{source} {sign}{decimal_text(growth)}%"
    if target.method == TargetMethodChoice.BENCHMARK:
        return f"{n('benchmark')} × {n('factor')}"
    return ""


@dataclass
class TargetCell:
    indicator: str
    name: str
    line_target: Decimal | None
    target: Target | None = None

    @property
    def how(self) -> str:
        return basis_text(self.target)


@dataclass
class TargetLine:
    participant: Participant
    editable: bool
    cells: dict[str, TargetCell] = field(default_factory=dict)


def target_columns(cycle: Cycle, participants: list[Participant]) -> list[tuple[str, str]]:
    """(code, name) of the indicators that need a target, in scheme line order."""
    seen: dict[str, str] = {}
    for key in dict.fromkeys(p.line_set for p in participants):
        for line in cycle.line_sets.get(key, []):
            if needs_target(line):
                seen.setdefault(line["indicator"], line["name"])
    return list(seen.items())


def target_lines(user: Any, cycle: Cycle, participants: list[Participant]) -> list[TargetLine]:
    """One row per participant with a cell per indicator that needs a target."""
    editable = set(
        participants_editable_by(user, cycle)
        .filter(pk__in=[p.pk for p in participants])
        .values_list("pk", flat=True)
    )
    targets: dict[tuple[int, str], Target] = {
        (t.participant_id, t.indicator): t
        for t in Target.objects.filter(participant__in=participants)
    }
    out = []
    for p in participants:
        row = TargetLine(participant=p, editable=p.pk in editable)
        for line in cycle.line_sets.get(p.line_set, []):
            if not needs_target(line):
                continue
            code = line["indicator"]
            default = line.get("target_value")
            row.cells[code] = TargetCell(
                indicator=code,
                name=line["name"],
                line_target=None if default is None else Decimal(str(default)),
                target=targets.get((p.pk, code)),
            )
        out.append(row)
    return out


def target_cell(participant: Participant, indicator: str) -> TargetCell | None:
    for line in participant.lines:
        if line["indicator"] == indicator and needs_target(line):
            default = line.get("target_value")
            return TargetCell(
                indicator=indicator,
                name=line["name"],
                line_target=None if default is None else Decimal(str(default)),
                target=Target.objects.filter(participant=participant, indicator=indicator).first(),
            )
    return None


@dataclass
class ManualEntry:
    participant: Participant
    indicator: str
    name: str
    low: Decimal
    high: Decimal
    value: ManualValue | None


def manual_entries(
    user: Any, cycle: Cycle, participants: list[Participant] | None = None
) -> list[ManualEntry]:
    """The manual indicators of the participants the user may rate (or of ``participants``)."""
    manual = {code for code in cycle.indicators if is_manual(cycle, code)}
    if not manual:
        return []
    if participants is None:
        participants = list(
            participants_editable_by(user, cycle)
            .select_related("unit", "working_unit")
            .order_by("unit_path", "employee_no")
        )
    values = {
        (v.participant_id, v.indicator): v
        for v in ManualValue.objects.filter(participant__in=participants).select_related(
            "entered_by"
        )
    }
    out = []
    for p in participants:
        for line in cycle.line_sets.get(p.line_set, []):
            code = line["indicator"]
            if code not in manual:
                continue
            low, high = manual_range(line)
            out.append(
                ManualEntry(
                    participant=p,
                    indicator=code,
                    name=line["name"],
                    low=low,
                    high=high,
                    value=values.get((p.pk, code)),
                )
            )
    return out


def bonus_entries(user: Any, cycle: Cycle) -> QuerySet[BonusEntry]:
    listed = participants_listed_for(user, cycle).values("pk")
    return (
        BonusEntry.objects.filter(participant__cycle=cycle, participant__in=listed)
        .select_related("participant", "participant__unit", "entered_by")
        .order_by("-entered_at", "-pk")
    )


def bonus_totals(cycle: Cycle, entries: list[BonusEntry]) -> dict[int, dict[str, Any]]:
    """Per participant: the points entered and what counts after the framework's cap."""
    cap_raw = (cycle.framework or {}).get("bonus_cap")
    cap = None if cap_raw is None else Decimal(str(cap_raw))
    totals: dict[int, Decimal] = {}
    for e in entries:
        totals[e.participant_id] = totals.get(e.participant_id, Decimal(0)) + e.points
    return {
        pid: {"points": total, "counted": total if cap is None else min(total, cap)}
        for pid, total in totals.items()
    }


# --- the template file ---------------------------------------------------------------------

EXTRA_COLUMNS = ("name", "indicator_name")


def _template_numbers(target: Target | None, line_target: Any) -> dict[str, Any]:
    if target is None:
        return {"method": TargetMethodChoice.FIXED, "value": line_target or ""}
    basis = target.basis or {}
    out: dict[str, Any] = {"method": target.method}
    if target.method == TargetMethodChoice.FIXED:
        out["value"] = target.value
    elif target.method == TargetMethodChoice.SPLIT:
        out["unit_target"] = basis.get("unit_target", "")
        if "split_among" not in basis:  # an explicit share; equal splits are recomputed
            out["share"] = basis.get("share", "")
    elif target.method == TargetMethodChoice.BASELINE:
        out["growth"] = basis.get("growth", "")
    elif target.method == TargetMethodChoice.BENCHMARK:
        out["benchmark"] = basis.get("benchmark", "")
        out["factor"] = basis.get("factor", "")
    return out


def template_rows(user: Any, cycle: Cycle) -> list[list[Any]]:
    """Header + one row per participant × indicator needing a target the user may set,
    pre-filled with the current target (or the scheme's fixed target) so it round-trips."""
    people = list(participants_editable_by(user, cycle).order_by("employee_no"))
    targets = {
        (t.participant_id, t.indicator): t for t in Target.objects.filter(participant__in=people)
    }
    head = [*COLUMNS, *EXTRA_COLUMNS]
    rows: list[list[Any]] = [head]
    for p in people:
        for line in cycle.line_sets.get(p.line_set, []):
            if not needs_target(line):
                continue
            code = line["indicator"]
            numbers = _template_numbers(targets.get((p.pk, code)), line.get("target_value"))
            record = {"employee_no": p.employee_no, "indicator": code, **numbers}
            record.update({"name": p.name, "indicator_name": line["name"]})
            rows.append([_text(record.get(c, "")) for c in head])
    return rows


def _text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def template_csv(user: Any, cycle: Cycle) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(template_rows(user, cycle))
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def template_xlsx(user: Any, cycle: Cycle) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("targets")
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})
    rows = template_rows(user, cycle)
    sheet.write_row(0, 0, rows[0], bold)
    for r, row in enumerate(rows[1:], start=1):
        for c, value in enumerate(row):
            if c < 3 or c >= len(COLUMNS):
                sheet.write_string(r, c, str(value), text)  # employee numbers stay text
            elif value == "":
                continue
            elif Decimal(repr(float(value))) == Decimal(str(value)):
                sheet.write_number(r, c, float(value))
            else:  # more digits than a spreadsheet number keeps
                sheet.write_string(r, c, str(value), text)
    sheet.set_column(0, len(rows[0]) - 1, 14)
    book.close()
    return out.getvalue()


TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def target_template(user: Any, cycle: Cycle, fmt: str) -> bytes:
    return template_xlsx(user, cycle) if fmt == "xlsx" else template_csv(user, cycle)

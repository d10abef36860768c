"""Reads: the goal tree, a person's goals and standing, a unit's pace at a glance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from heng.goals.evaluation import default_as_of, evaluate
from heng.goals.models import (
    Cadence,
    Goal,
    GoalStatus,
    PaceAlert,
    PaceState,
    ProgressNote,
    Recognition,
)
from heng.goals.permissions import held_goal_ids, with_ancestors
from heng.org.models import OrgUnit
from heng.people.models import Employee, EmploymentStatus

PERIOD_LABELS: dict[str, str] = {
    Cadence.MONTH: gettext_noop("This month"),
    Cadence.QUARTER: gettext_noop("This quarter"),
    Cadence.YEAR: gettext_noop("This year"),
    Cadence.WHOLE: gettext_noop("So far"),
}


@dataclass
class Node:
    goal: Goal
    children: list[Node] = field(default_factory=list)
    mine: dict[str, Any] | None = None  # the person's own figures on a KPI he holds

    @property
    def percent(self) -> int | None:
        progress = self.mine["progress"] if self.mine else self.goal.progress
        return None if progress is None else round(progress * 100)


def build_tree(goals: list[Goal], *, mine: dict[int, dict[str, Any]] | None = None) -> list[Node]:
    """Nest goals by parent (a parent missing from the list makes its child a root)."""
    nodes = {g.pk: Node(g, mine=(mine or {}).get(g.pk)) for g in goals}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.goal.parent_id) if node.goal.parent_id else None
        (parent.children if parent else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.goal.kind != "kpi", n.goal.title, n.goal.pk))
    return sorted(roots, key=lambda n: (n.goal.title, n.goal.pk))


def _goals(ids: set[int] | QuerySet[Goal]) -> list[Goal]:
    rows = Goal.objects.filter(pk__in=ids) if isinstance(ids, set) else ids
    return list(rows.select_related("unit", "indicator", "position", "owner").order_by("pk"))


def person_figures(
    employee: Employee, *, as_of: dt.date | None = None
) -> dict[int, dict[str, Any]]:
    """goal id → the person's live numbers on each KPI he holds (actual, expected, progress…)."""
    frame = evaluate(as_of=as_of, employee_ids=[employee.pk])
    return {r["goal_id"]: r for r in frame.to_dicts()}


def tree_for_person(
    employee: Employee, *, as_of: dt.date | None = None
) -> tuple[list[Node], dict[int, dict[str, Any]]]:
    """The chain from the person's goals up to the company goal, with his own figures."""
    figures = person_figures(employee, as_of=as_of)
    ids = with_ancestors(held_goal_ids(employee) | set(figures))
    goals = [g for g in _goals(ids) if g.status == GoalStatus.ACTIVE]
    return build_tree(goals, mine=figures), figures


def tree_visible(
    visible: QuerySet[Goal], *, unit: OrgUnit | None = None, archived: bool = False
) -> list[Node]:
    rows = visible if archived else visible.filter(status=GoalStatus.ACTIVE)
    if unit is not None:
        rows = rows.filter(Q(unit__path__startswith=unit.path) | Q(unit__path__in=_above(unit)))
    return build_tree(_goals(rows))


def _above(unit: OrgUnit) -> list[str]:
    step = OrgUnit.steplen
    return [unit.path[:end] for end in range(step, len(unit.path), step)]


def headline(goal: Goal, mine: dict[str, Any]) -> str:
    """ "本月销售额已完成80%" — the KPI's period, its indicator and the share of the target."""
    label = _(PERIOD_LABELS.get(goal.cadence, "So far"))
    name = goal.indicator.name if goal.indicator else goal.title
    progress = mine.get("progress")
    done = "—" if progress is None else f"{round(progress * 100)}%"
    return _("%(period)s %(indicator)s: %(done)s done") % {
        "period": label,
        "indicator": name,
        "done": done,
    }


@dataclass
class Standing:
    """The person's place in the open cycle and his last published result (when they exist)."""

    cycle_name: str = ""
    total: float | None = None
    rank: int | None = None
    group_size: int | None = None
    provisional: bool = True
    published: dict[str, Any] | None = None


def standing(employee: Employee) -> Standing:
    from heng.goals.projection import latest_published, open_cycle_standing

    out = open_cycle_standing(employee) or Standing()
    out.published = latest_published(employee)
    return out


def employee_dashboard(employee: Employee, *, as_of: dt.date | None = None) -> dict[str, Any]:
    as_of = as_of or default_as_of()
    tree, figures = tree_for_person(employee, as_of=as_of)
    kpis = {g.pk: g for g in Goal.objects.filter(pk__in=figures).select_related("indicator")}
    goals = [
        {"goal": kpis[gid], "mine": row, "headline": headline(kpis[gid], row)}
        for gid, row in sorted(figures.items())
        if gid in kpis
    ]
    owned = Goal.objects.filter(owner=employee, status=GoalStatus.ACTIVE).exclude(pk__in=figures)
    points = Recognition.objects.filter(employee=employee)
    return {
        "employee": employee,
        "as_of": as_of,
        "goals": goals,
        "owned": list(owned.select_related("unit")),
        "tree": tree,
        "off_pace": PaceState.objects.filter(employee=employee, breached=True)
        .select_related("goal", "indicator")
        .order_by("-breached_at"),
        "alerts": PaceAlert.objects.filter(employee=employee).select_related("goal", "indicator")[
            :10
        ],
        "points_total": points.aggregate(total=Sum("points"))["total"] or 0,
        "points": points.select_related("granted_by", "goal")[:10],
        "notes": ProgressNote.objects.filter(employee=employee).select_related("goal")[:10],
        "standing": standing(employee),
    }


def team_overview(
    unit: OrgUnit, people: QuerySet[Employee], *, as_of: dt.date | None = None
) -> dict[str, Any]:
    """A unit's KPIs at a glance: mean progress and who is off pace, per KPI and per person."""
    as_of = as_of or default_as_of()
    subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
    staff = people.filter(status=EmploymentStatus.ACTIVE).filter(
        Q(unit_id__in=subtree) | Q(working_unit_id__in=subtree)
    )
    names = dict(staff.values_list("pk", "name"))
    frame = evaluate(as_of=as_of, employee_ids=list(names)) if names else pl.DataFrame()
    if frame.is_empty():
        return {"unit": unit, "as_of": as_of, "kpis": [], "people": [], "off_pace": 0}
    titles = dict(
        Goal.objects.filter(pk__in=frame["goal_id"].unique().to_list()).values_list("pk", "title")
    )
    per_kpi = (
        frame.group_by("goal_id")
        .agg(
            pl.col("progress").mean().alias("progress"),
            pl.col("attainment").mean().alias("attainment"),
            pl.col("breached").fill_null(False).sum().alias("off_pace"),
            pl.len().alias("holders"),
        )
        .sort("goal_id")
    )
    per_person = (
        frame.group_by("employee_id")
        .agg(
            pl.col("progress").mean().alias("progress"),
            pl.col("attainment").min().alias("worst"),
            pl.col("breached").fill_null(False).sum().alias("off_pace"),
            pl.len().alias("kpis"),
        )
        .sort(["off_pace", "worst"], descending=[True, False], nulls_last=True)
    )
    return {
        "unit": unit,
        "as_of": as_of,
        "kpis": [dict(r, title=titles.get(r["goal_id"], "")) for r in per_kpi.to_dicts()],
        "people": [dict(r, name=names.get(r["employee_id"], "")) for r in per_person.to_dicts()],
        "off_pace": int(per_person.filter(pl.col("off_pace") > 0).height),
    }


def goal_holders(
    goal: Goal, people: QuerySet[Employee], *, as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """The live numbers of every visible holder of a KPI, with their latest progress note."""
    ids = list(people.values_list("pk", flat=True))
    frame = evaluate(as_of=as_of, goal_ids=[goal.pk], employee_ids=ids)
    names = dict(
        Employee.objects.filter(pk__in=frame["employee_id"].to_list()).values_list("pk", "name")
    )
    latest: dict[int, ProgressNote] = {}
    for note in ProgressNote.objects.filter(goal=goal, employee_id__in=list(names)).order_by(
        "created_at"
    ):
        assert note.employee_id is not None
        latest[note.employee_id] = note
    return [
        dict(r, name=names.get(r["employee_id"], ""), note=latest.get(r["employee_id"]))
        for r in frame.sort("attainment", nulls_last=True).to_dicts()
    ]

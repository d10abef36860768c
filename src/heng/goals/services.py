"""Writes: the cascade (create, change, move, archive, weights, assign), progress, points.

Every service checks permission and input before writing, writes one transaction with an
audit row, and recomputes the tree's progress (set-based, see :mod:`heng.goals.rollup`).
The pace check lives in :mod:`heng.goals.checks`; :func:`pace_check_after_ingestion` runs on
data integration's ``batch_committed`` hook (see :mod:`heng.goals.signals`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heng.accounts.models import User
from heng.core.audit import audit_record, snapshot
from heng.core.errors import PermissionDenied, ValidationFailed
from heng.goals.models import (
    ALLOWED_PARENTS,
    Cadence,
    Goal,
    GoalAssignment,
    GoalKind,
    GoalStatus,
    IndicatorPace,
    PaceMode,
    PaceRun,
    ProgressNote,
    Recognition,
    SchemePace,
)
from heng.goals.permissions import (
    can_manage_at,
    can_post_progress,
    can_recognise,
    is_company_manager,
)
from heng.goals.rollup import goals_rollup
from heng.notifications.services import send
from heng.org.models import OrgUnit
from heng.people.models import Employee
from heng.performance.models import Indicator, Scheme

MAX_NUMBERS = 10
EDITABLE = (
    "title",
    "description",
    "owner",
    "start_date",
    "end_date",
    "measure_unit",
    "start_value",
    "target_value",
    "indicator",
    "aggregate",
    "position",
    "cadence",
    "pace_mode",
    "alert_threshold",
    "calendar",
    "reward_points",
)


def _require_manager(actor: Any, unit: OrgUnit) -> None:
    if not can_manage_at(actor, unit):
        raise PermissionDenied(_("You may not change the goals of %(unit)s.") % {"unit": unit.name})


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            _("Enter a number."), code="not_a_number", fields={field: _("Enter a number.")}
        ) from None


def _validate(goal: Goal) -> None:
    """The checks every goal must pass, whatever changed."""
    fields: dict[str, str] = {}
    if goal.kind not in GoalKind.values:
        fields["kind"] = _("Unknown level.")
    if not goal.title.strip():
        fields["title"] = _("Give the goal a title.")
    if goal.end_date < goal.start_date:
        fields["end_date"] = _("The goal ends before it starts.")
    parent_kind = goal.parent.kind if goal.parent is not None else None
    if goal.kind in GoalKind.values and parent_kind not in ALLOWED_PARENTS[goal.kind]:
        fields["parent_id"] = _("A %(kind)s cannot sit under %(parent)s.") % {
            "kind": GoalKind(goal.kind).label,
            "parent": GoalKind(parent_kind).label if parent_kind else _("nothing (the top)"),
        }
    if goal.parent is not None and goal.parent.status == GoalStatus.ARCHIVED:
        fields["parent_id"] = _("The parent goal is archived.")
    if goal.kind == GoalKind.KEY_RESULT:
        if goal.target_value is None:
            fields["target_value"] = _("A key result needs a target.")
        elif goal.indicator is None and goal.start_value is None:
            fields["start_value"] = _("A key result needs a start value.")
        elif (goal.start_value or 0.0) == goal.target_value:
            fields["target_value"] = _(
                "The target equals the start value: progress could never be measured."
            )
    if goal.kind == GoalKind.KPI:
        if goal.indicator is None:
            fields["indicator_id"] = _("A KPI is measured by an indicator of the library.")
        if goal.target_value is None:
            fields["target_value"] = _("A KPI needs a target per period.")
        elif goal.target_value <= 0:
            fields["target_value"] = _("The target must be greater than 0.")
    if goal.cadence not in Cadence.values:
        fields["cadence"] = _("Unknown period.")
    if goal.pace_mode not in PaceMode.values:
        fields["pace_mode"] = _("Unknown pace.")
    if goal.alert_threshold is not None and not 0 < goal.alert_threshold <= 2:
        fields["alert_threshold"] = _("Give a share of the pace between 0.01 and 2 (0.7 = 70%).")
    if fields:
        raise ValidationFailed(_("The goal is not valid."), code="goal_invalid", fields=fields)


def _siblings(parent: Goal | None, unit: OrgUnit, exclude: int | None = None) -> list[Goal]:
    rows = Goal.objects.filter(status=GoalStatus.ACTIVE)
    rows = (
        rows.filter(parent=parent)
        if parent is not None
        else rows.filter(parent__isnull=True, unit=unit)
    )
    return list(rows.exclude(pk=exclude) if exclude else rows)


def _apply_weights(
    siblings: list[Goal], new: Goal | None, weights: Mapping[int, Any] | None, new_weight: Any
) -> None:
    """All siblings equal (no weights anywhere) or every one weighted and adding up to 100."""
    proposed: dict[int | None, Decimal | None] = {g.pk: g.weight for g in siblings}
    if weights is not None:
        unknown = set(weights) - set(proposed)
        if unknown:
            raise ValidationFailed(
                _("These goals are not siblings here: %(ids)s.")
                % {"ids": ", ".join(map(str, sorted(unknown)))},
                code="weights_invalid",
                fields={"weights": _("Only the goals under the same parent.")},
            )
        proposed.update({k: _decimal(v, "weights") for k, v in weights.items()})
    if new is not None:
        proposed[None] = None if new_weight is None else _decimal(new_weight, "weight")
    given = [w for w in proposed.values() if w is not None]
    if not given:
        for goal in siblings:
            goal.weight = None
        return
    if len(given) != len(proposed):
        missing = sorted(
            str(k) if k is not None else _("the new goal") for k, w in proposed.items() if w is None
        )
        raise ValidationFailed(
            _("Custom weights are set here: give a weight to every goal (missing: %(ids)s).")
            % {"ids": ", ".join(missing)},
            code="weights_incomplete",
            fields={"weights": _("Every sibling needs a weight.")},
        )
    total = sum(given, Decimal(0))
    if any(w < 0 or w > 100 for w in given) or total != 100:
        raise ValidationFailed(
            _("Weights must add up to 100; they add up to %(total)s.")
            % {
                "total": f"{total:f}".rstrip("0").rstrip(".")
                if "." in f"{total:f}"
                else f"{total:f}"
            },
            code="weights_not_100",
            fields={"weights": _("Weights must add up to 100.")},
        )
    for goal in siblings:
        goal.weight = proposed[goal.pk]
    if new is not None:
        new.weight = proposed[None]


@transaction.atomic
def goal_create(
    *,
    actor: Any,
    kind: str,
    unit: OrgUnit,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
    parent: Goal | None = None,
    weight: Any = None,
    sibling_weights: Mapping[int, Any] | None = None,
    assignees: Sequence[Employee] = (),
    **values: Any,
) -> Goal:
    """Add a goal to the cascade. Under a parent with custom weights give ``weight`` and, in
    ``sibling_weights``, the new weights of the others so that all add up to 100."""
    _require_manager(actor, unit)
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."),
            code="unknown_fields",
            fields={k: _("Unknown field.") for k in unknown},
        )
    goal = Goal(
        kind=kind,
        unit=unit,
        title=title.strip(),
        start_date=start_date,
        end_date=end_date,
        parent=parent,
        **values,
    )
    _validate(goal)
    siblings = _siblings(parent, unit)
    _apply_weights(siblings, goal, sibling_weights, weight)
    goal.save()
    Goal.objects.bulk_update(siblings, ["weight"])
    for employee in assignees:
        GoalAssignment.objects.get_or_create(goal=goal, employee=employee)
    audit_record(actor=actor, action="goal.created", target=goal, after=snapshot(goal))
    goals_rollup()
    goal.refresh_from_db()
    return goal


@transaction.atomic
def goal_update(*, actor: Any, goal: Goal, **changes: Any) -> Goal:
    _require_manager(actor, goal.unit)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("Unknown fields."),
            code="unknown_fields",
            fields={k: _("Unknown field.") for k in unknown},
        )
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    before = snapshot(goal)
    for name, value in changes.items():
        setattr(goal, name, value)
    _validate(goal)
    goal.save()
    audit_record(
        actor=actor, action="goal.updated", target=goal, before=before, after=snapshot(goal)
    )
    goals_rollup()
    goal.refresh_from_db()
    return goal


def descendant_ids(goal: Goal) -> set[int]:
    edges = list(Goal.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    children: dict[int, list[int]] = {}
    for child, parent in edges:
        children.setdefault(parent, []).append(child)
    out: set[int] = set()
    frontier = [goal.pk]
    while frontier:
        nxt = [c for p in frontier for c in children.get(p, []) if c not in out]
        out.update(nxt)
        frontier = nxt
    return out


@transaction.atomic
def goal_move(
    *,
    actor: Any,
    goal: Goal,
    parent: Goal | None,
    weight: Any = None,
    sibling_weights: Mapping[int, Any] | None = None,
) -> Goal:
    """Hang the goal under another parent (never under itself or its own descendants)."""
    _require_manager(actor, goal.unit)
    if parent is not None and (parent.pk == goal.pk or parent.pk in descendant_ids(goal)):
        raise ValidationFailed(
            _(
                "%(goal)s cannot contribute to %(parent)s: that goal already contributes to it, "
                "so the tree would loop."
            )
            % {"goal": goal.title, "parent": parent.title},
            code="goal_cycle",
            fields={"parent_id": _("This would create a cycle.")},
        )
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    before = snapshot(goal)
    goal.parent = parent
    _validate(goal)
    siblings = _siblings(parent, goal.unit, exclude=goal.pk)
    _apply_weights(siblings, goal, sibling_weights, weight)
    goal.save()
    Goal.objects.bulk_update(siblings, ["weight"])
    audit_record(actor=actor, action="goal.moved", target=goal, before=before, after=snapshot(goal))
    goals_rollup()
    return goal


@transaction.atomic
def goal_weights_set(*, actor: Any, parent: Goal, weights: Mapping[int, Any] | None) -> list[Goal]:
    """Set every active child's weight (adding up to 100), or ``None`` for equal shares."""
    _require_manager(actor, parent.unit)
    children = _siblings(parent, parent.unit)
    if weights is None:
        for child in children:
            child.weight = None
    else:
        missing = {c.pk for c in children} - set(weights)
        if missing:
            raise ValidationFailed(
                _("Give a weight to every goal under %(parent)s (missing: %(ids)s).")
                % {"parent": parent.title, "ids": ", ".join(map(str, sorted(missing)))},
                code="weights_incomplete",
                fields={"weights": _("Every sibling needs a weight.")},
            )
        _apply_weights(children, None, weights, None)
    Goal.objects.bulk_update(children, ["weight"])
    audit_record(
        actor=actor,
        action="goal.weights",
        target=parent,
        after={str(c.pk): str(c.weight) for c in children},
    )
    goals_rollup()
    return children


@transaction.atomic
def goal_archive(*, actor: Any, goal: Goal, archived: bool = True) -> Goal:
    """Archive (or restore) a goal: it keeps its history but no longer counts for its parent."""
    _require_manager(actor, goal.unit)
    goal.status = GoalStatus.ARCHIVED if archived else GoalStatus.ACTIVE
    goal.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="goal.archived" if archived else "goal.restored", target=goal)
    goals_rollup()
    return goal


@transaction.atomic
def goal_assign(
    *,
    actor: Any,
    goal: Goal,
    employee: Employee,
    target_value: float | None = None,
    remove: bool = False,
) -> GoalAssignment | None:
    """Give a KPI to a named person (optionally with his own target), or take it back."""
    _require_manager(actor, goal.unit)
    if goal.kind != GoalKind.KPI:
        raise ValidationFailed(_("Only KPIs are assigned to people."), code="not_a_kpi")
    if remove:
        GoalAssignment.objects.filter(goal=goal, employee=employee).delete()
        audit_record(actor=actor, action="goal.unassigned", target=goal, employee_id=employee.pk)
        return None
    if target_value is not None and target_value <= 0:
        raise ValidationFailed(
            _("The target must be greater than 0."),
            code="goal_invalid",
            fields={"target_value": _("The target must be greater than 0.")},
        )
    assignment, _created = GoalAssignment.objects.update_or_create(
        goal=goal, employee=employee, defaults={"target_value": target_value}
    )
    audit_record(
        actor=actor,
        action="goal.assigned",
        target=goal,
        employee_id=employee.pk,
        after={"target_value": target_value},
    )
    return assignment


def _clean_numbers(numbers: Mapping[str, Any] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for label, raw in (numbers or {}).items():
        try:
            out[str(label)[:40]] = float(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(
                _("%(label)s is not a number.") % {"label": label},
                code="not_a_number",
                fields={"numbers": _("Numbers only.")},
            ) from None
    if len(out) > MAX_NUMBERS:
        raise ValidationFailed(
            _("At most %(n)s numbers.") % {"n": MAX_NUMBERS},
            code="too_many_numbers",
            fields={"numbers": ""},
        )
    return out


@transaction.atomic
def progress_note_post(
    *,
    actor: Any,
    goal: Goal,
    text: str = "",
    numbers: Mapping[str, Any] | None = None,
    value: float | None = None,
    source: str = "",
) -> ProgressNote:
    """Post an update on a goal (text, optional numbers; a new value for a key result measured
    by hand). Only the goal's owner and holders, and its managers, may post."""
    if not can_post_progress(actor, goal):
        raise PermissionDenied(
            _("You can only post progress on your own goals or on the goals of units you manage.")
        )
    clean = _clean_numbers(numbers)
    if not text.strip() and not clean and value is None:
        raise ValidationFailed(
            _("Write what happened or give a number."),
            code="empty_note",
            fields={"text": _("Write what happened or give a number.")},
        )
    if value is not None:
        _check_manual(goal)
    note = ProgressNote.objects.create(
        goal=goal,
        author=actor,
        employee_id=getattr(actor, "employee_id", None),
        text=text.strip(),
        numbers=clean,
        value=value,
        source=source[:60],
    )
    if value is not None:
        Goal.objects.filter(pk=goal.pk).update(current_value=value, current_at=timezone.now())
        goals_rollup()
    audit_record(
        actor=actor,
        action="goal.progress",
        target=goal,
        after={"text": note.text[:200], "numbers": clean, "value": value},
    )
    return note


def _check_manual(goal: Goal) -> None:
    if goal.kind != GoalKind.KEY_RESULT:
        raise ValidationFailed(
            _("Only key results take a value; KPIs are measured from the data."),
            code="not_a_key_result",
            fields={"value": _("Not a key result.")},
        )
    if goal.indicator_id is not None:
        raise ValidationFailed(
            _(
                "This key result is measured from its indicator; send the facts through the data "
                "API instead."
            ),
            code="measured_goal",
            fields={"value": _("Measured from data.")},
        )
    if goal.status == GoalStatus.ARCHIVED:
        raise ValidationFailed(_("The goal is archived."), code="goal_archived")


def kr_value_update(
    *, actor: Any, goal: Goal, value: float, text: str = "", source: str = ""
) -> ProgressNote:
    """A new value for a hand-measured key result (the API for outside systems)."""
    return progress_note_post(actor=actor, goal=goal, text=text, value=value, source=source)


RECOGNITION_TITLE = gettext_lazy("+%(points)s points from %(by)s")


@transaction.atomic
def recognition_grant(
    *, actor: Any, employee: Employee, points: int, message: str, goal: Goal | None = None
) -> Recognition:
    """A manager grants points with a message; the person sees them on his dashboard and in
    his inbox (and on his channels)."""
    if not can_recognise(actor, employee):
        raise PermissionDenied(_("Only the person's managers may grant points."))
    fields = {}
    if not 1 <= points <= 1000:
        fields["points"] = _("Grant between 1 and 1,000 points.")
    if not message.strip():
        fields["message"] = _("Say what the points are for.")
    if fields:
        raise ValidationFailed(
            _("The recognition is not valid."), code="recognition_invalid", fields=fields
        )
    grant = Recognition.objects.create(
        employee=employee, points=points, message=message.strip()[:300], goal=goal, granted_by=actor
    )
    audit_record(
        actor=actor,
        action="goal.recognition",
        target=grant,
        employee_id=employee.pk,
        after={"points": points, "message": grant.message},
    )
    user = User.objects.filter(employee=employee, is_active=True).first()
    if user is not None:
        send(
            recipients=[user],
            title=RECOGNITION_TITLE,
            body=grant.message,
            url="/goals/me/",
            params={"points": points, "by": actor.get_full_name() or actor.username},
            key=f"recognition:{grant.pk}",
            kind="recognition",
        )
    return grant


@transaction.atomic
def indicator_threshold_set(
    *, actor: Any, indicator: Indicator, threshold: Any
) -> IndicatorPace | None:
    """The alert threshold for every KPI on this indicator (None: back to the default)."""
    if not is_company_manager(actor):
        raise PermissionDenied()
    if threshold is None:
        IndicatorPace.objects.filter(indicator=indicator).delete()
        return None
    value = _decimal(threshold, "alert_threshold")
    if not 0 < value <= 2:
        raise ValidationFailed(
            _("Give a share of the pace between 0.01 and 2 (0.7 = 70%)."),
            code="goal_invalid",
            fields={"alert_threshold": ""},
        )
    setting, _c = IndicatorPace.objects.update_or_create(
        indicator=indicator, defaults={"alert_threshold": value}
    )
    audit_record(
        actor=actor,
        action="goal.pace_threshold",
        target=setting,
        after={"indicator": indicator.code, "alert_threshold": str(value)},
    )
    return setting


@transaction.atomic
def scheme_threshold_set(*, actor: Any, scheme: Scheme, threshold: Any) -> SchemePace | None:
    """The alert threshold for the KPIs of everyone assessed under this scheme (None: back to
    the default). A KPI's own threshold and its indicator's still win."""
    if not is_company_manager(actor):
        raise PermissionDenied()
    if threshold is None:
        SchemePace.objects.filter(scheme=scheme).delete()
        return None
    value = _decimal(threshold, "alert_threshold")
    if not 0 < value <= 2:
        raise ValidationFailed(
            _("Give a share of the pace between 0.01 and 2 (0.7 = 70%)."),
            code="goal_invalid",
            fields={"alert_threshold": ""},
        )
    setting, _c = SchemePace.objects.update_or_create(
        scheme=scheme, defaults={"alert_threshold": value}
    )
    audit_record(
        actor=actor,
        action="goal.pace_threshold",
        target=setting,
        after={"scheme": scheme.code, "alert_threshold": str(value)},
    )
    return setting


def pace_check_after_ingestion(
    *, batch_id: int, committed_after: dt.datetime | None = None, run_now: bool = False
) -> PaceRun | None:
    """Called once a batch is committed (data integration's ``batch_committed`` hook, see
    :mod:`heng.goals.signals`): queue a pace check (or, with ``run_now``, run it here). A
    check that started after ``committed_after`` already covers the batch and is not repeated;
    without the hook the every-minute safety net notices new batches anyway."""
    from heng.goals.checks import pace_check_after_batch

    if run_now:
        return pace_check_after_batch(batch_id=batch_id, committed_after=committed_after)
    from heng.goals.tasks import check_pace_after_batch

    check_pace_after_batch.enqueue(
        batch_id=batch_id,
        committed_after=committed_after.isoformat() if committed_after is not None else None,
    )
    return None

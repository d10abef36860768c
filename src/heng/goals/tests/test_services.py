"""The cascade's writes and their bad input: every refusal says why and writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from heng.core.errors import PermissionDenied, ValidationFailed
from heng.core.models import AuditEvent, Notification
from heng.goals.models import Goal, ProgressNote, Recognition
from heng.goals.services import (
    goal_archive,
    goal_create,
    goal_move,
    goal_weights_set,
    progress_note_post,
    recognition_grant,
)
from heng.goals.tests.conftest import YEAR, Cascade

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int]:
    return Goal.objects.count(), ProgressNote.objects.count(), AuditEvent.objects.count()


def test_a_key_result_whose_target_equals_its_start_is_refused(
    cascade: Cascade, world: Any
) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        goal_create(
            actor=world.users["hr"],
            kind="key_result",
            unit=world.units["BGZ"],
            parent=cascade.objective,
            title="复购率",
            start_value=20,
            target_value=20,
            **YEAR,
        )
    assert err.value.code == "goal_invalid"
    assert set(err.value.fields) == {"target_value"}
    assert _counts() == before


def test_a_move_that_would_loop_the_tree_is_refused(cascade: Cascade, world: Any) -> None:
    # the objective cannot contribute to its own grandchild... nor to itself
    before = _counts()
    for target in (cascade.objective, cascade.kr1):
        with pytest.raises(ValidationFailed) as err:
            goal_move(actor=world.users["hr"], goal=cascade.objective, parent=target)
        assert err.value.code == "goal_cycle"
    cascade.objective.refresh_from_db()
    assert cascade.objective.parent_id == cascade.strategy.pk
    assert _counts() == before


def test_a_kind_that_cannot_sit_there_is_refused(cascade: Cascade, world: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        goal_create(
            actor=world.users["hr"],
            kind="key_result",
            unit=world.units["C"],
            parent=cascade.strategy,
            title="x",
            start_value=0,
            target_value=1,
            **YEAR,
        )
    assert set(err.value.fields) == {"parent_id"}


def test_custom_weights_must_add_up_to_100(cascade: Cascade, world: Any) -> None:
    hr = world.users["hr"]
    kr1, kr2 = cascade.kr1, cascade.kr2
    with pytest.raises(ValidationFailed) as err:
        goal_weights_set(actor=hr, parent=cascade.objective, weights={kr1.pk: 60, kr2.pk: 30})
    assert err.value.code == "weights_not_100"
    assert "90" in err.value.message
    with pytest.raises(ValidationFailed) as err:
        goal_weights_set(actor=hr, parent=cascade.objective, weights={kr1.pk: 100})
    assert err.value.code == "weights_incomplete"
    assert list(Goal.objects.filter(pk__in=[kr1.pk, kr2.pk]).values_list("weight", flat=True)) == [
        None,
        None,
    ]
    goal_weights_set(actor=hr, parent=cascade.objective, weights={kr1.pk: 60, kr2.pk: 40})
    assert Goal.objects.get(pk=kr1.pk).weight == Decimal("60")


def test_a_new_child_under_custom_weights_must_bring_everyones_weights(
    cascade: Cascade, world: Any
) -> None:
    hr = world.users["hr"]
    kr1, kr2 = cascade.kr1, cascade.kr2
    goal_weights_set(actor=hr, parent=cascade.objective, weights={kr1.pk: 60, kr2.pk: 40})
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        goal_create(
            actor=hr,
            kind="key_result",
            unit=world.units["BGZ"],
            parent=cascade.objective,
            title="KR3",
            start_value=0,
            target_value=10,
            **YEAR,
        )
    assert err.value.code == "weights_incomplete"
    assert _counts() == before
    kr3 = goal_create(
        actor=hr,
        kind="key_result",
        unit=world.units["BGZ"],
        parent=cascade.objective,
        title="KR3",
        start_value=0,
        target_value=10,
        weight=20,
        sibling_weights={kr1.pk: 50, kr2.pk: 30},
        **YEAR,
    )
    weights = dict(Goal.objects.filter(parent=cascade.objective).values_list("pk", "weight"))
    assert weights == {kr1.pk: 50, kr2.pk: 30, kr3.pk: 20}


def test_weighted_roll_up_after_a_manual_key_result_update(cascade: Cascade, world: Any) -> None:
    hr = world.users["hr"]
    goal_weights_set(
        actor=hr, parent=cascade.objective, weights={cascade.kr1.pk: 60, cascade.kr2.pk: 40}
    )
    # KR1 repurchase 20 → 30: at 24 → 40 %; KR2 satisfaction 4.0 → 4.5: at 4.4 → 80 %
    progress_note_post(actor=hr, goal=cascade.kr1, text="老用户专属权益上线", value=24)
    progress_note_post(actor=hr, goal=cascade.kr2, value=4.4)
    objective = Goal.objects.get(pk=cascade.objective.pk)
    # 0.4 × 0.6 + 0.8 × 0.4 = 0.56
    assert objective.progress == pytest.approx(0.56)
    # archive KR2: only KR1 counts
    goal_archive(actor=hr, goal=cascade.kr2)
    assert Goal.objects.get(pk=cascade.objective.pk).progress == pytest.approx(0.4)


def test_progress_on_someone_elses_goal_is_refused(cascade: Cascade, world: Any) -> None:
    # bj1 (Beijing) holds nothing in Guangzhou; gz1 holds the complaints KPI, not KR1's value
    from heng.accounts.services import user_create

    bj1 = user_create(
        username="bj1", password="x", employee=world.people["bj1"], check_password=False
    )
    before = _counts()
    with pytest.raises(PermissionDenied):
        progress_note_post(actor=bj1, goal=cascade.complaints, text="不是我的")
    assert _counts() == before
    note = progress_note_post(
        actor=world.users["gz1"],
        goal=cascade.complaints,
        text="回访了20位投诉客户",
        numbers={"回访": 20},
    )
    assert (note.employee_id, note.numbers) == (world.people["gz1"].pk, {"回访": 20.0})


def test_a_value_for_a_kpi_or_a_measured_goal_is_refused(cascade: Cascade, world: Any) -> None:
    before = _counts()
    with pytest.raises(ValidationFailed) as err:
        progress_note_post(actor=world.users["gz1"], goal=cascade.complaints, value=1.5)
    assert err.value.code == "not_a_key_result"
    with pytest.raises(ValidationFailed) as err:
        progress_note_post(actor=world.users["gz1"], goal=cascade.complaints, text=" ")
    assert err.value.code == "empty_note"
    assert _counts() == before


def test_only_managers_change_goals(cascade: Cascade, world: Any) -> None:
    before = _counts()
    for name in ("gz1", "auditor", "partner_manager"):
        with pytest.raises(PermissionDenied):
            goal_create(
                actor=world.users[name],
                kind="objective",
                unit=world.units["BGZ"],
                title="x",
                **YEAR,
            )
    assert _counts() == before
    # the Guangzhou store's head manages his store's goals, not the branch's
    goal_create(
        actor=world.users["gz_manager"],
        kind="objective",
        unit=world.units["SGZ"],
        title="门店复购",
        parent=cascade.strategy,
        **YEAR,
    )
    with pytest.raises(PermissionDenied):
        goal_archive(actor=world.users["gz_manager"], goal=cascade.objective)


def test_recognition_by_a_manager_reaches_the_inbox(world: Any) -> None:
    grant = recognition_grant(
        actor=world.users["gz_manager"],
        employee=world.people["gz1"],
        points=10,
        message="裂变活动新增用户500人",
    )
    assert Recognition.objects.get().points == 10
    note = Notification.objects.get(recipient=world.users["gz1"])
    assert note.title.startswith("+10")
    assert note.body == "裂变活动新增用户500人"
    assert grant.granted_by == world.users["gz_manager"]


def test_recognition_refusals(world: Any) -> None:
    with pytest.raises(PermissionDenied):  # not his manager
        recognition_grant(
            actor=world.users["partner_manager"],
            employee=world.people["gz1"],
            points=5,
            message="x",
        )
    with pytest.raises(ValidationFailed) as err:
        recognition_grant(
            actor=world.users["hr"], employee=world.people["gz1"], points=0, message=""
        )
    assert set(err.value.fields) == {"points", "message"}
    assert Recognition.objects.count() == 0
    assert Notification.objects.count() == 0


def test_dates_and_thresholds_are_checked(world: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        goal_create(
            actor=world.users["hr"],
            kind="strategy",
            unit=world.units["C"],
            title="x",
            start_date=dt.date(2026, 2, 1),
            end_date=dt.date(2026, 1, 1),
            alert_threshold=Decimal("3"),
        )
    assert set(err.value.fields) == {"end_date", "alert_threshold"}

"""360: questionnaire weights, invitation rules, deadline, anonymity; dispatch and leavers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from heng.performance.cycle_errors import ReviewRefused
from heng.performance.models import ParticipantStatus, ReviewInvitation
from heng.performance.selectors.cycles import review_summary
from heng.performance.services.reviews import (
    peers_choose,
    questionnaire_set,
    review_submit,
)
from heng.performance.tests.cycle_fixtures import open_cycle, publish_scheme

CRITERIA = [
    {"code": "team", "name": "团队协作", "weight": 60},
    {"code": "learn", "name": "学习成长", "weight": 40},
]


@pytest.fixture
def cycle(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    c = open_cycle(world, review_deadline=dt.date(2026, 2, 5), peer_limit=3)
    questionnaire_set(cycle=c, criteria=CRITERIA)
    return c


def test_questionnaire_weights_must_sum_to_100(cycle: Any) -> None:
    with pytest.raises(ReviewRefused) as err:
        questionnaire_set(
            cycle=cycle, criteria=[{"code": "a", "weight": 60}, {"code": "b", "weight": 30}]
        )
    assert err.value.code == "weights_not_100"
    assert cycle.questionnaire.criteria == CRITERIA


def test_peers_answer_and_are_shown_only_as_an_average_of_three(cycle: Any, world: Any) -> None:
    p = world.people
    target = cycle.participants.get(employee_no="T001")
    peers_choose(actor_employee=p["gz1"], participant=target, peers=[p["gz2"], p["fs1"]])
    day = dt.date(2026, 2, 1)
    # gz2: 4×0.6 + 5×0.4 = 4.4; fs1: 3×0.6 + 3×0.4 = 3.0
    review_submit(reviewer=p["gz2"], participant=target, answers={"team": 4, "learn": 5}, today=day)
    review_submit(reviewer=p["fs1"], participant=target, answers={"team": 3, "learn": 3}, today=day)
    assert review_summary(target) == [
        {"group": "peer", "count": 2, "hidden": True, "average": None}
    ]
    peers_choose(actor_employee=p["gz1"], participant=target, peers=[p["bj1"]])
    # bj1: 5×0.6 + 4×0.4 = 4.6 → average (4.4 + 3.0 + 4.6) / 3 = 4.0
    review_submit(reviewer=p["bj1"], participant=target, answers={"team": 5, "learn": 4}, today=day)
    assert review_summary(target) == [
        {"group": "peer", "count": 3, "hidden": False, "average": Decimal("4.00")}
    ]


def test_a_reviewer_outside_the_allowed_set_is_refused(cycle: Any, world: Any) -> None:
    target = cycle.participants.get(employee_no="T001")
    with pytest.raises(ReviewRefused) as err:
        review_submit(
            reviewer=world.people["cook"],
            participant=target,
            answers={"team": 5, "learn": 5},
            today=dt.date(2026, 2, 1),
        )
    assert err.value.code == "not_invited"
    assert not ReviewInvitation.objects.filter(reviewer=world.people["cook"]).exists()


def test_a_review_after_the_deadline_is_refused(cycle: Any, world: Any) -> None:
    p = world.people
    target = cycle.participants.get(employee_no="T001")
    peers_choose(actor_employee=p["gz1"], participant=target, peers=[p["gz2"]])
    with pytest.raises(ReviewRefused) as err:
        review_submit(
            reviewer=p["gz2"],
            participant=target,
            answers={"team": 5, "learn": 5},
            today=dt.date(2026, 2, 6),
        )
    assert err.value.code == "deadline_passed"
    assert ReviewInvitation.objects.get(reviewer=p["gz2"]).status == "pending"


def test_peers_are_limited_and_never_oneself(cycle: Any, world: Any) -> None:
    p = world.people
    target = cycle.participants.get(employee_no="T001")
    with pytest.raises(ReviewRefused) as err:
        peers_choose(actor_employee=p["gz1"], participant=target, peers=[p["gz1"]])
    assert err.value.code == "peer_invalid"
    with pytest.raises(ReviewRefused) as err:
        peers_choose(actor_employee=p["gz2"], participant=target, peers=[p["fs1"]])
    assert err.value.code == "not_allowed"
    assert target.invitations.count() == 0


def test_a_leaver_is_excluded_or_prorated_by_policy(world: Any, sales_scheme: Any) -> None:
    publish_scheme(sales_scheme)
    fs1 = world.people["fs1"]
    fs1.leave_date = dt.date(2026, 1, 10)
    fs1.save()
    excluded = open_cycle(world, code="X", leaver_policy="exclude")
    row = excluded.participants.get(employee_no="T003")
    assert row.status == ParticipantStatus.EXCLUDED
    assert "2026-01-10" in row.note
    prorated = open_cycle(world, code="P", leaver_policy="prorate")
    row = prorated.participants.get(employee_no="T003")
    # 10 of 31 days
    assert (row.status, row.days_factor) == (ParticipantStatus.ACTIVE, Decimal("0.322581"))


def test_a_mid_cycle_dispatch_counts_days_in_both_units(world: Any, sales_scheme: Any) -> None:
    from heng.people.models import AssignmentReason
    from heng.people.services import assignment_change

    publish_scheme(sales_scheme)
    assignment_change(
        employee=world.people["bj1"],
        start_date=dt.date(2026, 1, 22),
        reason=AssignmentReason.DISPATCH,
        working_unit=world.units["SGZ"],
        end_date=dt.date(2026, 3, 1),
    )
    cycle = open_cycle(world)
    row = cycle.participants.get(employee_no="T004")
    # 1–21 January at home (SBJ), 22–31 dispatched to SGZ
    assert row.unit_days == {"SBJ": 21, "SGZ": 10}
    assert "SBJ 21d" in row.note

"""Shared setup of the 360 API/page tests, on top of ``cycle_fixtures``.

A store head 店长 (employee T008, unit head of SGZ) becomes the snapshot manager of T001 and
T002; every sales person and the cook T006 get a login. The cycle is open (January 2026) with
a 360 deadline a week from today, peer limit 3, and the questionnaire

    team 60 / learn 40 on a 0–5 scale  →  one answer's score = team × 0.6 + learn × 0.4
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from heng.accounts.models import Role
from heng.accounts.services import role_grant, user_create
from heng.people.services import employee_create
from heng.performance.models import Cycle, Participant, ReviewInvitation
from heng.performance.services.reviews import invitations_default, questionnaire_set
from heng.performance.tests.cycle_fixtures import open_cycle

CRITERIA = [
    {"code": "team", "name": "团队协作", "weight": 60},
    {"code": "learn", "name": "学习成长", "weight": 40},
]
API = "/api/v1/performance"


def login(client: Any, user: Any) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def add_people(world: Any) -> None:
    """The store head (a unit head with an e-file) and logins for the sales people."""
    head = employee_create(
        employee_no="T008",
        name="店长",
        unit=world.units["SGZ"],
        hire_date=dt.date(2024, 1, 1),
        position=None,
    )
    world.people["head"] = head
    user = user_create(username="head", password="pw-head", employee=head, check_password=False)
    role_grant(user=user, role=Role.UNIT_HEAD, unit=world.units["SGZ"])
    world.users["head"] = user
    for key in ("gz2", "fs1", "bj1", "cook"):
        world.users[key] = user_create(
            username=key, password="pw-" + key, employee=world.people[key], check_password=False
        )


def review_cycle(world: Any, *, questionnaire: bool = True, **kwargs: Any) -> Cycle:
    """Open the sales cycle (scheme already published) with the 360 set up."""
    add_people(world)
    kwargs.setdefault("review_deadline", timezone.localdate() + dt.timedelta(days=7))
    kwargs.setdefault("peer_limit", 3)
    cycle = open_cycle(world, **kwargs)
    if questionnaire:
        questionnaire_set(cycle=cycle, criteria=CRITERIA)
        invitations_default(cycle=cycle)
    return cycle


def participant(cycle: Cycle, no: str) -> Participant:
    return cycle.participants.get(employee_no=no)


def invitation(cycle: Cycle, no: str, reviewer: Any) -> ReviewInvitation:
    return ReviewInvitation.objects.get(participant=participant(cycle, no), reviewer=reviewer)


def past_deadline(cycle: Cycle) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(
        review_deadline=timezone.localdate() - dt.timedelta(days=1)
    )

"""360 over the API: questionnaires, invitations and peers, answers (deadline, outsiders),
progress and reminders, the anonymous summary, and the rater-group-weighted score."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from heng.core.models import Notification
from heng.performance import services
from heng.performance.models import Questionnaire, Result, ReviewInvitation
from heng.performance.services.reviews import peers_choose, questionnaire_set, review_submit
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import load_facts, publish_scheme, set_targets
from heng.performance.tests.review_fixtures import (
    API,
    CRITERIA,
    invitation,
    login,
    participant,
    past_deadline,
    review_cycle,
)


def post(client: Any, url: str, body: Any, method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def cycle(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    return review_cycle(world)


# --- questionnaires -------------------------------------------------------------------------


def test_hr_creates_the_questionnaire_and_self_and_manager_are_invited(
    client: Any, world: Any, sales_scheme: Any
) -> None:
    publish_scheme(sales_scheme)
    cycle = review_cycle(world, questionnaire=False)
    login(client, world.users["hr"])
    body = {"criteria": CRITERIA, "group_weights": {"manager": 50, "peer": 30, "self": 20}}
    r = post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body)
    assert r.status_code == 201, r.json()
    # Four people invite themselves; T001 and T002 also their store head.
    assert r.json()["invited"] == 6
    assert r.json()["group_weights"] == {"manager": 50, "peer": 30, "self": 20}
    t001 = participant(cycle, "T001")
    assert sorted(t001.invitations.values_list("group", "reviewer__employee_no")) == [
        ("manager", "T008"),
        ("self", "T001"),
    ]
    assert post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body).status_code == 409
    listed = client.get(f"{API}/questionnaires").json()
    assert [q["cycle_id"] for q in listed] == [cycle.pk]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            {"criteria": [{**CRITERIA[0], "weight": 60}, {**CRITERIA[1], "weight": 30}]},
            "weights_not_100",
        ),
        (
            {"criteria": CRITERIA, "group_weights": {"manager": 50, "peer": 30}},
            "group_weights_not_100",
        ),
        ({"criteria": CRITERIA, "group_weights": {"boss": 100}}, "rater_group_unknown"),
        ({"criteria": [CRITERIA[0], {**CRITERIA[1], "code": "team"}]}, "criteria_invalid"),
    ],
)
def test_weights_that_do_not_sum_to_100_are_refused_and_nothing_is_stored(
    client: Any, world: Any, cycle: Any, body: dict[str, Any], code: str
) -> None:
    login(client, world.users["hr"])
    r = post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body, method="put")
    assert r.status_code == 422
    assert r.json()["code"] == code
    assert r.json()["message"]
    q = Questionnaire.objects.get(cycle=cycle)
    assert (q.criteria, q.group_weights) == (CRITERIA, {})


def test_only_hr_writes_questionnaires(client: Any, world: Any, cycle: Any) -> None:
    login(client, world.users["head"])
    body = {"criteria": [{**CRITERIA[0], "weight": 100}]}
    assert post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body, "put").status_code == 403
    assert Questionnaire.objects.get(cycle=cycle).criteria == CRITERIA
    # ... but a reviewer reads it to answer
    assert client.get(f"{API}/cycles/{cycle.pk}/questionnaire").json()["criteria"] == CRITERIA


def test_the_questionnaire_is_fixed_once_someone_answered(
    client: Any, world: Any, cycle: Any
) -> None:
    inv = invitation(cycle, "T001", world.people["gz1"])
    login(client, world.users["gz1"])
    post(client, f"{API}/reviews/{inv.pk}", {"answers": {"team": 4, "learn": 4}})
    login(client, world.users["hr"])
    body = {"criteria": [{**CRITERIA[0], "weight": 100}]}
    r = post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body, "put")
    assert (r.status_code, r.json()["code"]) == (409, "questionnaire_in_use")


# --- peers ---------------------------------------------------------------------------------


def test_the_employee_chooses_peers_within_the_limit(client: Any, world: Any, cycle: Any) -> None:
    p = world.people
    url = f"{API}/cycles/{cycle.pk}/participants/{p['gz1'].pk}/peers"
    login(client, world.users["gz1"])
    r = post(client, url, {"peers": [p["gz2"].pk, p["fs1"].pk]})
    assert r.status_code == 201, r.json()
    peers = [i for i in r.json() if i["group"] == "peer"]
    # The person sees whom he chose, not who has answered.
    assert sorted((i["reviewer_name"], i["status"]) for i in peers) == [
        ("佛山甲", None),
        ("广州乙", None),
    ]
    r = post(client, url, {"peers": [p["bj1"].pk, p["head"].pk]})
    assert (r.status_code, r.json()["code"]) == (422, "peer_invalid")  # the head is no participant
    # the limit (3) counts the peers already chosen
    login(client, world.users["head"])  # his manager may choose too
    assert post(client, url, {"peers": [p["bj1"].pk]}).status_code == 201
    r = post(client, f"{API}/cycles/{cycle.pk}/participants/{p['gz2'].pk}/peers", {"peers": []})
    assert r.status_code == 422
    login(client, world.users["gz1"])
    r = client.delete(f"{url}/{p['bj1'].pk}")
    assert r.status_code == 204
    participant_ = participant(cycle, "T001")
    assert participant_.invitations.filter(group="peer").count() == 2


def test_only_the_person_or_his_manager_chooses_peers(client: Any, world: Any, cycle: Any) -> None:
    p = world.people
    url = f"{API}/cycles/{cycle.pk}/participants/{p['gz1'].pk}/peers"
    login(client, world.users["hr"])
    r = post(client, url, {"peers": [p["bj1"].pk]})
    assert r.status_code == 403  # HR sees him but does not choose his peers
    login(client, world.users["gz2"])
    assert post(client, url, {"peers": [p["fs1"].pk]}).status_code == 404  # not his to see
    assert not ReviewInvitation.objects.filter(group="peer").exists()


def test_peer_limit(client: Any, world: Any, sales_scheme: Any) -> None:
    publish_scheme(sales_scheme)
    cycle = review_cycle(world, peer_limit=2)
    p = world.people
    login(client, world.users["gz1"])
    url = f"{API}/cycles/{cycle.pk}/participants/{p['gz1'].pk}/peers"
    r = post(client, url, {"peers": [p["gz2"].pk, p["fs1"].pk, p["bj1"].pk]})
    assert (r.status_code, r.json()["code"]) == (422, "too_many_peers")
    assert not ReviewInvitation.objects.filter(group="peer").exists()


# --- my reviews and answers ----------------------------------------------------------------


def test_my_reviews_lists_what_the_reviewer_has_to_do(client: Any, world: Any, cycle: Any) -> None:
    p = world.people
    peers_choose(actor_employee=p["gz1"], participant=participant(cycle, "T001"), peers=[p["gz2"]])
    login(client, world.users["gz2"])
    rows = client.get(f"{API}/reviews/mine").json()
    assert sorted((r["employee_no"], r["group"], r["can_answer"]) for r in rows) == [
        ("T001", "peer", True),
        ("T002", "self", True),
    ]
    login(client, world.users["head"])
    rows = client.get(f"{API}/reviews/mine?pending=true").json()
    assert sorted((r["employee_no"], r["group"]) for r in rows) == [
        ("T001", "manager"),
        ("T002", "manager"),
    ]
    login(client, world.users["auditor"])  # no e-file: nothing to review
    assert client.get(f"{API}/reviews/mine").json() == []


def test_answers_are_stored_and_refused_after_the_deadline(
    client: Any, world: Any, cycle: Any
) -> None:
    inv = invitation(cycle, "T001", world.people["head"])
    login(client, world.users["head"])
    url = f"{API}/reviews/{inv.pk}"
    r = post(client, url, {"answers": {"team": 4, "learn": 3}, "comment": "稳定"})
    assert r.status_code == 200, r.json()
    assert (r.json()["status"], r.json()["answers"]) == ("submitted", {"team": "4", "learn": "3"})
    inv.refresh_from_db()
    assert inv.score == Decimal("3.6000")  # 4 × 0.6 + 3 × 0.4
    r = post(client, url, {"answers": {"team": 9, "learn": 3}})
    assert (r.status_code, r.json()["code"], list(r.json()["fields"])) == (
        422,
        "answers_invalid",
        ["team"],
    )
    past_deadline(cycle)
    r = post(client, url, {"answers": {"team": 1, "learn": 1}})
    assert (r.status_code, r.json()["code"]) == (422, "deadline_passed")
    assert (
        cycle.__class__.objects.get(pk=cycle.pk).review_deadline.isoformat() in r.json()["message"]
    )
    assert client.get(url).json()["can_answer"] is False
    inv.refresh_from_db()
    assert (inv.answers, inv.score) == ({"team": "4", "learn": "3"}, Decimal("3.6000"))


@pytest.mark.parametrize("who", ["cook", "gz1", "hr", "auditor", "head"])
def test_a_reviewer_outside_the_invited_set_gets_404_and_nothing_is_written(
    client: Any, world: Any, cycle: Any, who: str
) -> None:
    p = world.people
    peers_choose(actor_employee=p["gz1"], participant=participant(cycle, "T001"), peers=[p["gz2"]])
    inv = invitation(cycle, "T001", p["gz2"])
    login(client, world.users[who])
    url = f"{API}/reviews/{inv.pk}"
    assert client.get(url).status_code == 404
    r = post(client, url, {"answers": {"team": 1, "learn": 1}})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    inv.refresh_from_db()
    assert (inv.status, inv.answers, inv.score) == ("pending", {}, None)


# --- progress, reminders, summary ----------------------------------------------------------


def test_progress_per_participant_is_scoped(client: Any, world: Any, cycle: Any) -> None:
    inv = invitation(cycle, "T001", world.people["gz1"])
    review_submit(
        reviewer=world.people["gz1"], participant=inv.participant, answers={"team": 5, "learn": 5}
    )
    login(client, world.users["hr"])
    r = client.get(f"{API}/cycles/{cycle.pk}/reviews/progress").json()
    assert (r["done"], r["total"], r["count"]) == (1, 6, 4)
    t001 = next(x for x in r["participants"] if x["employee_no"] == "T001")
    assert (t001["answered"], t001["invited"]) == (1, 2)
    assert t001["groups"] == {
        "self": {"answered": 1, "invited": 1},
        "manager": {"answered": 0, "invited": 1},
    }
    login(client, world.users["gz_manager"])
    rows = client.get(f"{API}/cycles/{cycle.pk}/reviews/progress").json()["participants"]
    assert sorted(x["employee_no"] for x in rows) == ["T001", "T002"]
    login(client, world.users["gz1"])  # an employee follows his own reviews, not the cycle's
    assert client.get(f"{API}/cycles/{cycle.pk}/reviews/progress").status_code == 404


def test_hr_sends_reminders_once_a_day(client: Any, world: Any, cycle: Any) -> None:
    login(client, world.users["gz_manager"])
    assert client.post(f"{API}/cycles/{cycle.pk}/reviews/reminders").status_code == 403
    login(client, world.users["hr"])
    r = client.post(f"{API}/cycles/{cycle.pk}/reviews/reminders")
    # Users linked to T001 (gz1), T002 (gz2), T003 (fs1), T004 (bj1) and the head
    assert r.json() == {"sent": 5}
    assert client.post(f"{API}/cycles/{cycle.pk}/reviews/reminders").json() == {"sent": 0}
    note = Notification.objects.get(recipient=world.users["gz2"])
    assert note.url == "/performance/reviews/"


def test_peer_averages_appear_only_from_three_answers_and_never_individually(
    client: Any, world: Any, cycle: Any
) -> None:
    p = world.people
    target = participant(cycle, "T001")
    peers_choose(actor_employee=p["gz1"], participant=target, peers=[p["gz2"], p["fs1"], p["bj1"]])
    answer = {"gz2": (4, 5), "fs1": (3, 3), "bj1": (5, 4)}  # 4.4, 3.0, 4.6
    url = f"{API}/cycles/{cycle.pk}/participants/{p['gz1'].pk}/reviews/summary"
    login(client, world.users["hr"])
    for n, key in enumerate(("gz2", "fs1", "bj1"), start=1):
        team, learn = answer[key]
        review_submit(reviewer=p[key], participant=target, answers={"team": team, "learn": learn})
        r = client.get(url)
        peer = next(g for g in r.json()["groups"] if g["group"] == "peer")
        text = r.content.decode()
        for individual in ("4.4", "3.0", "4.6"):
            assert individual not in text
        if n < 3:
            assert (peer["count"], peer["hidden"], peer["average"]) == (n, True, None)
    assert (peer["count"], peer["hidden"], peer["average"]) == (3, False, "4.00")
    invitations = client.get(
        f"{API}/cycles/{cycle.pk}/participants/{p['gz1'].pk}/invitations"
    ).json()
    assert all(set(i) == {"reviewer_id", "reviewer_name", "group", "status"} for i in invitations)
    # the person himself sees his summary once the cycle is published (like his scorecard)
    login(client, world.users["gz1"])
    assert client.get(url).status_code == 404


# --- scoring -------------------------------------------------------------------------------


@pytest.fixture
def cycle360(world: Any, library: Any) -> Any:
    """SALES 40, NEWCUST 20, COMPLAINT 20 and TEAM360 (a review indicator, 0–5) 20 under a
    framework of KPI 70 + 360 30 on a 0–5 scale whose own group weights are self 100."""
    from heng.org.models import Position

    fw = services.framework_create(
        actor=None,
        code="K70R30",
        name="KPI 70 + 360 30",
        category_weighting=False,
        kpi_weight=Decimal(70),
        review_weight=Decimal(30),
        review_scale_min=Decimal(0),
        review_scale_max=Decimal(5),
        review_group_weights={"self": 100},
    )
    team = services.indicator_create(
        actor=None,
        code="TEAM360",
        name="团队评价",
        category="process",
        direction="higher",
        value_kind="review",
        source_metric="",
        rule="review",
        params={"scale_min": 0, "scale_max": 5},
    )
    scheme = services.scheme_create(
        actor=None,
        code="SALES-360",
        name="销售360方案",
        framework=fw,
        applies_to=[(None, Position.objects.get(code="sales"))],
    )
    for indicator, weight in (
        (library["SALES"], 40),
        (library["NEWCUST"], 20),
        (library["COMPLAINT"], 20),
        (team, 20),
    ):
        services.scheme_line_add(
            actor=None, scheme=scheme, indicator=indicator, weight=Decimal(weight)
        )
    publish_scheme(scheme)
    load_facts(world)
    cycle = review_cycle(world)
    set_targets(cycle)
    return cycle


def test_the_review_score_is_the_rater_group_weighted_average(
    client: Any, world: Any, cycle360: Any
) -> None:
    p = world.people
    cycle = cycle360
    login(client, world.users["hr"])
    body = {"criteria": CRITERIA, "group_weights": {"manager": 50, "peer": 30, "self": 20}}
    assert post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body, "put").status_code == 200
    t001, t002 = participant(cycle, "T001"), participant(cycle, "T002")
    peers_choose(actor_employee=p["gz1"], participant=t001, peers=[p["gz2"], p["fs1"], p["bj1"]])
    # A subordinate group has no weight in this questionnaire: its answer counts for nothing.
    ReviewInvitation.objects.create(participant=t001, reviewer=p["cook"], group="subordinate")
    answers = [
        (t001, "gz1", 5, 5),  # self 5.0
        (t001, "head", 4, 3),  # manager 3.6
        (t001, "gz2", 4, 5),  # peer 4.4
        (t001, "fs1", 3, 3),  # peer 3.0
        (t001, "bj1", 5, 4),  # peer 4.6   → peers 4.0
        (t001, "cook", 0, 0),  # subordinate 0 (no weight)
        (t002, "gz2", 3, 3),  # self 3.0
        (t002, "head", 5, 5),  # manager 5.0 (no peers answered)
    ]
    for person, key, team, learn in answers:
        review_submit(reviewer=p[key], participant=person, answers={"team": team, "learn": learn})
    for no in ("T003", "T004"):  # everyone needs a 360 (it weighs 30%)
        review_submit(
            reviewer=participant(cycle, no).employee,
            participant=participant(cycle, no),
            answers={"team": 4, "learn": 4},
        )
    cycle_score(cycle=cycle)
    # T001: (3.6 × 50 + 4.0 × 30 + 5.0 × 20) / 100 = 4.0 on 0–5 → 80 points.
    #   (A plain mean of the five counted answers would be 4.12; the framework's self 100, 5.0.)
    # T002: no peers — manager 50 and self 20 renormalised over 70:
    #   (5.0 × 50 + 3.0 × 20) / 70 = 310 / 70 = 4.428571… → 88.5714 points.
    results = {r.participant.employee_no: r for r in Result.objects.filter(cycle=cycle)}
    assert results["T001"].review_score == Decimal("80.0000")
    assert results["T002"].review_score == Decimal("88.5714")
    assert results["T003"].review_score == Decimal("80.0000")  # self only: 4.0
    # The review-kind indicator uses the same weighted average as its actual value.
    team = {
        no: next(i for i in r.indicator_rows() if i["indicator"] == "TEAM360")
        for no, r in results.items()
    }
    assert team["T001"]["actual"] == pytest.approx(4.0, abs=1e-9)
    assert team["T002"]["actual"] == pytest.approx(310 / 70, abs=1e-9)


def test_without_questionnaire_weights_the_frameworks_apply(world: Any, cycle360: Any) -> None:
    cycle, p = cycle360, world.people
    for no, key, team, learn in (
        ("T001", "gz1", 5, 5),  # self 5.0
        ("T001", "head", 1, 1),  # manager 1.0 — no weight in the framework (self 100)
        ("T002", "gz2", 3, 3),
        ("T003", "fs1", 2, 2),
        ("T004", "bj1", 4, 4),
    ):
        review_submit(
            reviewer=p[key],
            participant=participant(cycle, no),
            answers={"team": team, "learn": learn},
        )
    cycle_score(cycle=cycle)
    result = Result.objects.get(cycle=cycle, participant__employee_no="T001")
    assert result.review_score == Decimal("100.0000")  # only self counts: 5.0 of 5


def test_the_questionnaire_service_checks_rater_group_weights(cycle: Any) -> None:
    from heng.performance.cycle_errors import ReviewRefused

    with pytest.raises(ReviewRefused) as err:
        questionnaire_set(cycle=cycle, criteria=CRITERIA, group_weights={"manager": 60, "peer": 60})
    assert err.value.code == "group_weights_not_100"
    with pytest.raises(ReviewRefused) as err:
        questionnaire_set(
            cycle=cycle, criteria=CRITERIA, group_weights={"manager": -10, "peer": 110}
        )
    assert err.value.code == "weight_invalid"


def test_a_peer_group_below_the_anonymity_minimum_does_not_count_in_the_score(
    client: Any, world: Any, cycle360: Any
) -> None:
    # Given manager 50 / peer 30 / self 20, and only two of T001's peers answered
    p = world.people
    cycle = cycle360
    login(client, world.users["hr"])
    body = {"criteria": CRITERIA, "group_weights": {"manager": 50, "peer": 30, "self": 20}}
    assert post(client, f"{API}/cycles/{cycle.pk}/questionnaire", body, "put").status_code == 200
    t001 = participant(cycle, "T001")
    peers_choose(actor_employee=p["gz1"], participant=t001, peers=[p["gz2"], p["fs1"], p["bj1"]])
    for key, team, learn in (("gz1", 5, 5), ("head", 5, 3), ("gz2", 1, 1), ("fs1", 1, 1)):
        review_submit(reviewer=p[key], participant=t001, answers={"team": team, "learn": learn})
    for no in ("T002", "T003", "T004"):
        review_submit(
            reviewer=participant(cycle, no).employee,
            participant=participant(cycle, no),
            answers={"team": 4, "learn": 4},
        )
    # When the cycle is scored
    cycle_score(cycle=cycle)
    # Then the two peer answers (1.0 each) are left out, as they are on the scorecard:
    # manager 5 × 0.6 + 3 × 0.4 = 4.2 and self 5.0, over 70 →
    # (4.2 × 50 + 5.0 × 20) / 70 = 310 / 70 = 4.428571… on 0–5 → 88.5714 points
    # (counting the peers it would be (210 + 30 + 100) / 100 = 3.4 → 68 points).
    result = Result.objects.get(cycle=cycle, participant=t001)
    assert result.review_score == Decimal("88.5714")

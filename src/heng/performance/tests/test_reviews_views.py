"""360 pages: "My reviews", the answer form (deadline, outsiders), progress with reminders,
the questionnaire form, peer choice and the anonymous summary on the scorecard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from heng.core.models import Notification
from heng.performance.models import Questionnaire, ReviewInvitation
from heng.performance.services.calibration import cycle_publish
from heng.performance.services.cycles import cycle_advance
from heng.performance.services.reviews import peers_choose, review_submit
from heng.performance.services.scoring import cycle_score
from heng.performance.tests.cycle_fixtures import load_facts, publish_scheme, set_targets
from heng.performance.tests.review_fixtures import (
    invitation,
    login,
    participant,
    past_deadline,
    review_cycle,
)


@pytest.fixture
def cycle(world: Any, sales_scheme: Any) -> Any:
    publish_scheme(sales_scheme)
    return review_cycle(world)


def test_my_reviews_lists_the_to_do_and_is_in_the_menu(client: Any, world: Any, cycle: Any) -> None:
    p = world.people
    peers_choose(actor_employee=p["gz1"], participant=participant(cycle, "T001"), peers=[p["gz2"]])
    login(client, world.users["gz2"])
    page = client.get("/performance/reviews/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/performance/reviews/"' in html  # the menu entry
    peer = invitation(cycle, "T001", p["gz2"])
    assert f'href="/performance/reviews/{peer.pk}/"' in html
    assert "广州甲" in html
    # gz2 may choose his own peers
    assert f"/performance/cycles/{cycle.pk}/reviews/{p['gz2'].pk}/peers/" in html


def test_the_answer_form_saves_and_refuses_after_the_deadline(
    client: Any, world: Any, cycle: Any
) -> None:
    inv = invitation(cycle, "T001", world.people["head"])
    url = f"/performance/reviews/{inv.pk}/"
    login(client, world.users["head"])
    form = client.get(url).content.decode()
    assert 'name="c_team"' in form
    assert 'name="c_learn"' in form
    assert 'type="radio"' in form
    assert 'value="5"' in form
    r = client.post(url, {"c_team": "4", "c_learn": "3", "comment": "稳定"})
    assert r.status_code == 302
    assert r["Location"] == "/performance/reviews/"
    inv.refresh_from_db()
    assert (inv.status, inv.score, inv.comment) == ("submitted", Decimal("3.6000"), "稳定")
    r = client.post(url, {"c_team": "4"})  # "learn" missing
    assert r.status_code == 422
    assert 'data-testid="review-error"' in r.content.decode()
    past_deadline(cycle)
    r = client.post(url, {"c_team": "1", "c_learn": "1"})
    assert r.status_code == 422
    deadline = cycle.__class__.objects.get(pk=cycle.pk).review_deadline.isoformat()
    assert deadline in r.content.decode()
    inv.refresh_from_db()
    assert inv.answers == {"team": "4", "learn": "3"}


def test_someone_elses_review_is_not_found_and_nothing_is_written(
    client: Any, world: Any, cycle: Any
) -> None:
    inv = invitation(cycle, "T001", world.people["head"])
    for who in ("gz1", "cook", "hr"):
        login(client, world.users[who])
        url = f"/performance/reviews/{inv.pk}/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"c_team": "1", "c_learn": "1"}).status_code == 404
    inv.refresh_from_db()
    assert (inv.status, inv.answers) == ("pending", {})


def test_progress_page_and_reminders(client: Any, world: Any, cycle: Any) -> None:
    review_submit(
        reviewer=world.people["gz1"],
        participant=participant(cycle, "T001"),
        answers={"team": 5, "learn": 5},
    )
    url = f"/performance/cycles/{cycle.pk}/reviews/"
    login(client, world.users["gz1"])
    assert client.get(url).status_code == 404  # employees follow their own reviews only
    login(client, world.users["hr"])
    html = client.get(url).content.decode()
    assert 'data-testid="progress-overall">1 / 6<' in html
    assert "广州甲" in html
    assert "北京甲" in html
    r = client.post(f"{url}remind/", follow=True)
    assert r.status_code == 200
    assert Notification.objects.filter(url="/performance/reviews/").count() == 4
    login(client, world.users["gz_manager"])
    html = client.get(url).content.decode()
    assert "广州甲" in html
    assert "北京甲" not in html
    assert client.post(f"{url}remind/").status_code == 403


def test_the_questionnaire_form_refuses_weights_off_100(
    client: Any, world: Any, sales_scheme: Any
) -> None:
    publish_scheme(sales_scheme)
    cycle = review_cycle(world, questionnaire=False)
    url = f"/performance/cycles/{cycle.pk}/reviews/questionnaire/"
    login(client, world.users["hr"])
    bad = {"criteria": "team | 团队协作 | 60\nlearn | 学习成长 | 30", "scale_max": "5"}
    r = client.post(url, bad)
    assert r.status_code == 422
    assert "90" in r.content.decode()
    r = client.post(
        url,
        {
            "criteria": "team | 团队协作 | 60\nlearn | 学习成长 | 40",
            "scale_max": "5",
            "w_manager": "50",
            "w_peer": "40",
        },
    )
    assert r.status_code == 422
    assert not Questionnaire.objects.filter(cycle=cycle).exists()
    good = {
        "criteria": "team | 团队协作 | 60\nlearn | 学习成长 | 40",
        "scale_max": "5",
        "w_manager": "50",
        "w_peer": "30",
        "w_self": "20",
    }
    assert client.post(url, good).status_code == 302
    q = Questionnaire.objects.get(cycle=cycle)
    assert [c["weight"] for c in q.criteria] == [60, 40]
    assert q.group_weights == {"manager": 50, "peer": 30, "self": 20}
    assert ReviewInvitation.objects.filter(participant__cycle=cycle).count() == 6
    login(client, world.users["head"])
    assert client.get(url).status_code == 403


def test_the_person_chooses_peers_on_the_page(client: Any, world: Any, cycle: Any) -> None:
    p = world.people
    url = f"/performance/cycles/{cycle.pk}/reviews/{p['gz1'].pk}/peers/"
    login(client, world.users["gz1"])
    html = client.get(url).content.decode()
    assert f'value="{p["gz2"].pk}"' in html  # a colleague of his store
    assert f'value="{p["bj1"].pk}"' not in html  # another region: not his to browse
    r = client.post(url, {"peer": [p["gz2"].pk]})
    assert r.status_code == 302
    assert participant(cycle, "T001").invitations.filter(group="peer").count() == 1
    r = client.post(url, {"remove": p["gz2"].pk})
    assert r.status_code == 302
    assert not participant(cycle, "T001").invitations.filter(group="peer").exists()
    login(client, world.users["hr"])
    assert client.get(url).status_code == 403
    login(client, world.users["bj1"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("peers", [2, 3])
def test_the_scorecard_shows_peers_only_as_an_average_of_three(
    client: Any, world: Any, sales_scheme: Any, peers: int
) -> None:
    publish_scheme(sales_scheme)
    load_facts(world)
    cycle = review_cycle(world)
    set_targets(cycle)
    p = world.people
    target = participant(cycle, "T001")
    chosen = ["gz2", "fs1", "bj1"][:peers]
    peers_choose(actor_employee=p["gz1"], participant=target, peers=[p[k] for k in chosen])
    scores = {"gz2": (4, 5), "fs1": (3, 3), "bj1": (5, 4)}  # 4.4, 3.0, 4.6
    for key in chosen:
        team, learn = scores[key]
        review_submit(reviewer=p[key], participant=target, answers={"team": team, "learn": learn})
    review_submit(reviewer=p["head"], participant=target, answers={"team": 4, "learn": 3})
    cycle_score(cycle=cycle)
    cycle_advance(actor=None, cycle=cycle, to="manager_scoring")
    cycle_advance(actor=None, cycle=cycle, to="calibration")
    cycle_publish(actor=None, cycle=cycle)
    login(client, world.users["gz1"])
    html = client.get("/performance/scorecard/").content.decode()
    block = html[html.index('data-testid="review-summary"') :]
    block = block[: block.index("</div>")]
    assert "3.60" in block  # the manager's group (one person, not anonymous)
    for individual in ("4.40", "3.00", "4.60", "4.4", "4.6"):
        assert individual not in block
    if peers == 2:
        assert "4.00" not in block
        assert "2" in block  # "2 answered — shown once at least 3 have answered"
    else:
        assert "4.00" in block  # (4.4 + 3.0 + 4.6) / 3

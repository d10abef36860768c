"""Which alert threshold a KPI holder is judged by: the KPI's own, else the indicator's, else
the one of the scheme he is assessed under, else the default (70 %).

Numbers (see conftest): on 15 March the orders KPI stands at gz1 62 %, fs1 93 %, gz2 103 %
of the pace; gz1's complaint rate at 67 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from heng.core.errors import PermissionDenied, ValidationFailed
from heng.goals.evaluation import evaluate
from heng.goals.models import Goal, SchemePace
from heng.goals.services import indicator_threshold_set, scheme_threshold_set
from heng.goals.tests.conftest import MID_MARCH, Cascade
from heng.performance.models import Indicator, Scheme

pytestmark = pytest.mark.django_db


def _scheme(code: str, unit: Any, indicator: Indicator) -> Scheme:
    from heng.performance import services

    framework = services.framework_create(
        actor=None, code=f"F-{code}", name=code, category_weighting=False
    )
    scheme = services.scheme_create(
        actor=None, code=code, name=code, framework=framework, applies_to=[(unit, None)]
    )
    services.scheme_line_add(actor=None, scheme=scheme, indicator=indicator, weight=Decimal(100))
    services.scheme_publish(actor=None, scheme=scheme, effective_from=dt.date(2026, 1, 1))
    return scheme


def _thresholds(world: Any, cascade: Cascade) -> dict[tuple[str, str], float]:
    names = {p.pk: key for key, p in world.people.items()}
    goals = {cascade.orders.pk: "orders", cascade.complaints.pk: "complaints"}
    return {
        (names[r["employee_id"]], goals[r["goal_id"]]): r["threshold"]
        for r in evaluate(as_of=MID_MARCH).iter_rows(named=True)
    }


def test_goal_over_indicator_over_scheme_over_default(
    cascade: Cascade, march: None, world: Any
) -> None:
    hr = world.users["hr"]
    orders = Indicator.objects.get(code="monthly_orders")
    # default: 70 % for everyone
    assert set(_thresholds(world, cascade).values()) == {0.7}

    # the Guangzhou branch's scheme says 95 %: fs1 (93 %) is now off pace too
    branch = _scheme("GZ-BRANCH", world.units["BGZ"], orders)
    scheme_threshold_set(actor=hr, scheme=branch, threshold="0.95")
    found = _thresholds(world, cascade)
    assert found == {
        ("gz1", "orders"): 0.95,
        ("gz2", "orders"): 0.95,
        ("fs1", "orders"): 0.95,
        ("gz1", "complaints"): 0.95,
    }
    breached = {
        r["employee_id"]
        for r in evaluate(as_of=MID_MARCH).iter_rows(named=True)
        if r["goal_id"] == cascade.orders.pk and r["breached"]
    }
    assert breached == {world.people["gz1"].pk, world.people["fs1"].pk}

    # a person follows his most specific scheme: the Foshan store's has no threshold of its
    # own, so fs1 is back on the default (the branch's does not reach past it)
    _scheme("FS-STORE", world.units["SFS"], orders)
    found = _thresholds(world, cascade)
    assert found[("fs1", "orders")] == 0.7
    assert found[("gz1", "orders")] == 0.95

    # the indicator's threshold wins over the scheme's (only on that indicator's KPIs)
    indicator_threshold_set(actor=hr, indicator=orders, threshold="0.5")
    found = _thresholds(world, cascade)
    assert found[("gz1", "orders")] == 0.5
    assert found[("fs1", "orders")] == 0.5
    assert found[("gz1", "complaints")] == 0.95

    # and the KPI's own wins over everything
    Goal.objects.filter(pk=cascade.orders.pk).update(alert_threshold=Decimal("0.8"))
    found = _thresholds(world, cascade)
    assert {found[(p, "orders")] for p in ("gz1", "gz2", "fs1")} == {0.8}
    assert found[("gz1", "complaints")] == 0.95

    # unset the scheme's: back to the default where nothing else applies
    scheme_threshold_set(actor=hr, scheme=branch, threshold=None)
    assert _thresholds(world, cascade)[("gz1", "complaints")] == 0.7
    assert not SchemePace.objects.exists()


def test_a_scheme_threshold_needs_hr_and_a_sane_share(cascade: Cascade, world: Any) -> None:
    scheme = _scheme("GZ-BRANCH", world.units["BGZ"], Indicator.objects.get(code="monthly_orders"))
    with pytest.raises(PermissionDenied):
        scheme_threshold_set(actor=world.users["gz_manager"], scheme=scheme, threshold="0.8")
    with pytest.raises(ValidationFailed):
        scheme_threshold_set(actor=world.users["hr"], scheme=scheme, threshold="3")


def test_thresholds_over_the_api(cascade: Cascade, world: Any) -> None:
    _scheme("GZ-BRANCH", world.units["BGZ"], Indicator.objects.get(code="monthly_orders"))
    client = Client()
    client.force_login(world.users["hr"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.put(
        "/api/v1/pace-thresholds/schemes/GZ-BRANCH",
        data={"threshold": "0.9"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    response = client.put(
        "/api/v1/pace-thresholds/indicators/complaint_rate",
        data={"threshold": "0.6"},
        content_type="application/json",
    )
    assert response.json() == {
        "default": 0.7,
        "indicators": {"complaint_rate": 0.6},
        "schemes": {"GZ-BRANCH": 0.9},
    }
    bad = client.put(
        "/api/v1/pace-thresholds/schemes/GZ-BRANCH",
        data={"threshold": "0"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/pace-thresholds").json()["schemes"] == {"GZ-BRANCH": 0.9}

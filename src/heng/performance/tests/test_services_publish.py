"""Publishing: exact weight totals, immutable versions, new drafts after edits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from heng.core.errors import Conflict, ValidationFailed
from heng.performance import services
from heng.performance.models import ImmutableVersion, Scheme, SchemeLine, SchemeVersion


def _two_lines(scheme: Scheme, first: str, second: str) -> None:
    SchemeLine.objects.filter(scheme=scheme, indicator__code="SALES").update(weight=Decimal(first))
    SchemeLine.objects.filter(scheme=scheme, indicator__code="NEWCUST").update(
        weight=Decimal(second)
    )
    SchemeLine.objects.filter(scheme=scheme, indicator__code="COMPLAINT").delete()


def test_publish_freezes_version_one_and_clears_the_draft_flag(sales_scheme: Scheme) -> None:
    # given a valid scheme 40 + 30 + 30 = 100
    # when it is published
    version = services.scheme_publish(
        actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 1, 1)
    )
    # then version 1 holds the whole document and the working copy is clean
    sales_scheme.refresh_from_db()
    assert version.number == 1
    assert [line["weight"] for line in version.document["lines"]] == [40, 30, 30]
    assert version.document["scheme"]["applies_to"] == [{"unit": None, "position": "sales"}]
    assert len(version.digest) == 64
    assert sales_scheme.has_draft_changes is False


def test_30_plus_69_99_is_refused_and_nothing_is_published(sales_scheme: Scheme) -> None:
    # given lines 30 + 69.99 (= 99.99)
    _two_lines(sales_scheme, "30", "69.99")
    # when publishing, then it is refused naming the total, and no version exists
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_publish(actor=None, scheme=sales_scheme)
    assert caught.value.code == "weights_not_100"
    assert "99.99" in caught.value.message
    assert not SchemeVersion.objects.exists()


def test_30_plus_70_is_accepted(sales_scheme: Scheme) -> None:
    _two_lines(sales_scheme, "30", "70")
    version = services.scheme_publish(actor=None, scheme=sales_scheme)
    assert [line["weight"] for line in version.document["lines"]] == [30, 70]


def test_decimal_weights_that_sum_exactly_are_accepted(sales_scheme: Scheme) -> None:
    # 33.3333 + 33.3333 + 33.3334 = 100 exactly (no float rounding involved)
    for code, weight in (("SALES", "33.3333"), ("NEWCUST", "33.3333"), ("COMPLAINT", "33.3334")):
        SchemeLine.objects.filter(scheme=sales_scheme, indicator__code=code).update(
            weight=Decimal(weight)
        )
    version = services.scheme_publish(actor=None, scheme=sales_scheme)
    assert [line["weight"] for line in version.document["lines"]] == [33.3333, 33.3333, 33.3334]


def test_edit_after_publishing_makes_a_new_draft_and_version_two(sales_scheme: Scheme) -> None:
    first = services.scheme_publish(
        actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 1, 1)
    )
    # when a weight changes after publishing
    services.scheme_weights_set(
        actor=None, scheme=sales_scheme, weights={"SALES": Decimal(50), "NEWCUST": Decimal(20)}
    )
    sales_scheme.refresh_from_db()
    assert sales_scheme.has_draft_changes is True
    second = services.scheme_publish(
        actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 7, 1)
    )
    # then version 1 is untouched and version 2 has the new weights
    first.refresh_from_db()
    assert [line["weight"] for line in first.document["lines"]] == [40, 30, 30]
    assert second.number == 2
    assert [line["weight"] for line in second.document["lines"]] == [50, 20, 30]


def test_publishing_twice_without_changes_is_a_conflict(sales_scheme: Scheme) -> None:
    services.scheme_publish(actor=None, scheme=sales_scheme)
    with pytest.raises(Conflict) as caught:
        services.scheme_publish(actor=None, scheme=sales_scheme)
    assert caught.value.code == "unchanged"
    assert SchemeVersion.objects.count() == 1


def test_a_version_can_not_take_effect_before_the_previous_one(sales_scheme: Scheme) -> None:
    services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 7, 1))
    services.scheme_weights_set(actor=None, scheme=sales_scheme, weights={"SALES": Decimal(40)})
    SchemeLine.objects.filter(scheme=sales_scheme, indicator__code="SALES").update(weight=45)
    SchemeLine.objects.filter(scheme=sales_scheme, indicator__code="NEWCUST").update(weight=25)
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_publish(actor=None, scheme=sales_scheme, effective_from=dt.date(2025, 1, 1))
    assert caught.value.code == "effective_from_too_early"
    assert SchemeVersion.objects.count() == 1


def test_versions_are_immutable(sales_scheme: Scheme) -> None:
    version = services.scheme_publish(actor=None, scheme=sales_scheme)
    version.note = "changed"
    with pytest.raises(ImmutableVersion):
        version.save()
    with pytest.raises(ImmutableVersion):
        version.delete()
    assert SchemeVersion.objects.get().note == ""


def test_two_schemes_for_the_same_position_are_refused(
    sales_scheme: Scheme, library: Any, frameworks: Any
) -> None:
    from heng.org.models import Position

    services.scheme_publish(actor=None, scheme=sales_scheme)
    other = services.scheme_create(
        actor=None,
        code="OTHER",
        name="另一方案",
        framework=frameworks["DIRECT"],
        applies_to=[(None, Position.objects.get(code="sales"))],
    )
    services.scheme_line_add(
        actor=None, scheme=other, indicator=library["SALES"], weight=Decimal(100)
    )
    with pytest.raises(Conflict) as caught:
        services.scheme_publish(actor=None, scheme=other)
    assert caught.value.code == "assignment_taken"
    assert "SALES-REP" in caught.value.message
    assert not SchemeVersion.objects.filter(scheme=other).exists()


def test_changes_and_publishing_are_in_the_audit_trail(world: Any, sales_scheme: Scheme) -> None:
    from heng.core.models import AuditEvent

    hr = world.users["hr"]
    services.scheme_weights_set(
        actor=hr, scheme=sales_scheme, weights={"SALES": Decimal(45), "NEWCUST": Decimal(25)}
    )
    version = services.scheme_publish(actor=hr, scheme=sales_scheme)
    weights = AuditEvent.objects.get(action="scheme.line", note="weights")
    assert (weights.actor_label, weights.before, weights.after) == (
        "hr",
        {"SALES": "40.0000", "NEWCUST": "30.0000"},
        {"SALES": "45", "NEWCUST": "25"},
    )
    published = AuditEvent.objects.get(action="scheme.publish")
    assert published.target_id == str(version.pk)
    assert published.after["digest"] == version.digest


def test_a_refused_publish_leaves_no_audit_row(world: Any, sales_scheme: Scheme) -> None:
    from heng.core.models import AuditEvent

    _two_lines(sales_scheme, "30", "69.99")
    with pytest.raises(ValidationFailed):
        services.scheme_publish(actor=world.users["hr"], scheme=sales_scheme)
    assert not AuditEvent.objects.filter(action="scheme.publish").exists()

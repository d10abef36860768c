"""Property: on any random tree, a scoped user never sees anyone outside the granted subtree."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from heng.accounts.models import Role
from heng.accounts.services import role_grant, user_create
from heng.org.services import unit_create
from heng.people.permissions import employees_visible_to
from heng.people.services import employee_create

# parents[i] is the index of unit i+1's parent among units 0..i: any tree shape.
trees = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(*[st.integers(min_value=0, max_value=i) for i in range(n)])
)


class ScopeNeverLeaks(TestCase):
    @settings(max_examples=25, deadline=None)
    @given(parents=trees, data=st.data())
    def test_scoped_user_sees_exactly_the_subtree(
        self, parents: tuple[int, ...], data: st.DataObject
    ) -> None:
        units = [unit_create(parent=None, code="U0", name="U0", kind="company")]
        for i, parent in enumerate(parents, start=1):
            units.append(
                unit_create(parent=units[parent], code=f"U{i}", name=f"U{i}", kind="department")
            )
        staff_units = data.draw(st.lists(st.integers(0, len(units) - 1), min_size=1, max_size=12))
        for k, idx in enumerate(staff_units):
            employee_create(
                employee_no=f"E{k}", name=f"E{k}", unit=units[idx], hire_date=dt.date(2024, 1, 1)
            )
        root = units[data.draw(st.integers(0, len(units) - 1))]
        root.refresh_from_db()
        user = user_create(username="head", password="x", check_password=False)
        role_grant(user=user, role=Role.UNIT_HEAD, unit=root)

        seen = set(employees_visible_to(user).values_list("employee_no", flat=True))

        expected = set()
        for k, idx in enumerate(staff_units):
            units[idx].refresh_from_db()
            if units[idx].path.startswith(root.path):
                expected.add(f"E{k}")
        assert seen == expected

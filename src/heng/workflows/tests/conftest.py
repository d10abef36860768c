from __future__ import annotations

from typing import Any

import pytest

from heng.accounts.models import Role
from heng.accounts.services import role_grant, user_create


@pytest.fixture
def flow(world: Any) -> Any:
    """The world plus a kitchen head (unit head of K) who proposes dispatches."""
    head = user_create(username="kitchen_head", password="pw", check_password=False)
    role_grant(user=head, role=Role.UNIT_HEAD, unit=world.units["K"])
    world.users["kitchen_head"] = head
    return world


@pytest.fixture(autouse=True)
def _routes(db: Any) -> None:
    """The seeded routes, even after a transactional test elsewhere flushed the tables."""
    import importlib

    from django.apps import apps

    importlib.import_module("heng.workflows.migrations.0002_seed_routes").seed(apps, None)

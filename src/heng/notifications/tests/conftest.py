from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from heng.notifications.tests.stub import Robot, serve


@pytest.fixture
def robot() -> Iterator[Robot]:
    yield from serve(Robot(secret="SEC-test-secret"))


@pytest.fixture
def mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def fast_timeout(settings: Any) -> None:
    settings.HENG_WEBHOOK_TIMEOUT = 0.3

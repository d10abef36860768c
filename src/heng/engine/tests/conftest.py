"""Engine tests need no Django: neutralise the project-wide autouse fixtures that do.

A fixture defined here overrides the same-named one from src/heng/conftest.py for the
tests in this package only, so ``pytest src/heng/engine -p no:django`` works.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_lockout_between_tests() -> None:
    """The project fixture resets django-axes; the engine has no logins."""

"""Shared fixtures: a small org tree with people and one user per role.

C  衡测集团 (company)
├── RS 华南大区 (region)            hr_south: regional HR here
│   └── BGZ 广州分公司 (branch)
│       ├── SGZ 广州店 (store)      gz_manager: unit head here
│       └── SFS 佛山店 (store)
├── RN 华北大区 (region)
│   └── BBJ 北京分公司 (branch)
│       └── SBJ 北京店 (store)
├── K  中央厨房 (department)        chef Chen: home K, dispatched to P
└── P  合作餐厅 (partner store)      partner_manager: unit head here
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright runs an event loop
# Fixed field-encryption keys for tests (never a developer's key file): k1 active, index key.
TEST_FIELD_KEYS = {
    "k1": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    "k2": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
}
os.environ["HENG_FIELD_KEYS"] = '{{"k1": "{}"}}'.format(TEST_FIELD_KEYS["k1"])
os.environ["HENG_FIELD_ACTIVE_KEY"] = "k1"
os.environ["HENG_FIELD_INDEX_KEY"] = "aW5kZXgta2V5LWZvci10ZXN0cy0wMDAwMDAwMDAwMDA="


@dataclass
class World:
    units: dict[str, Any]
    people: dict[str, Any]
    users: dict[str, Any]


@pytest.fixture
def world(db: Any) -> World:
    from heng.accounts.models import Role
    from heng.accounts.services import role_grant, user_create
    from heng.org.services import position_create, unit_create
    from heng.people.models import AssignmentReason
    from heng.people.services import assignment_change, employee_create

    u: dict[str, Any] = {}
    u["C"] = unit_create(parent=None, code="C", name="衡测集团", kind="company")
    u["RS"] = unit_create(parent=u["C"], code="RS", name="华南大区", kind="region")
    u["BGZ"] = unit_create(parent=u["RS"], code="BGZ", name="广州分公司", kind="branch")
    u["SGZ"] = unit_create(parent=u["BGZ"], code="SGZ", name="广州店", kind="store")
    u["SFS"] = unit_create(parent=u["BGZ"], code="SFS", name="佛山店", kind="store")
    u["RN"] = unit_create(parent=u["C"], code="RN", name="华北大区", kind="region")
    u["BBJ"] = unit_create(parent=u["RN"], code="BBJ", name="北京分公司", kind="branch")
    u["SBJ"] = unit_create(parent=u["BBJ"], code="SBJ", name="北京店", kind="store")
    u["K"] = unit_create(parent=u["C"], code="K", name="中央厨房", kind="department")
    u["P"] = unit_create(
        parent=u["C"], code="P", name="合作餐厅", kind="partner_store", partner_org="悦来餐饮"
    )
    sales = position_create(code="sales", name="销售代表")
    chef = position_create(code="chef", name="厨师")
    hired = dt.date(2024, 1, 1)
    p: dict[str, Any] = {}
    for key, number, name, unit, pos in [
        ("gz1", "T001", "广州甲", "SGZ", sales),
        ("gz2", "T002", "广州乙", "SGZ", sales),
        ("fs1", "T003", "佛山甲", "SFS", sales),
        ("bj1", "T004", "北京甲", "SBJ", sales),
        ("chef", "T005", "陈厨", "K", chef),
        ("cook", "T006", "刘厨", "K", chef),
        ("hr", "T007", "人事甲", "C", None),
    ]:
        p[key] = employee_create(
            employee_no=number, name=name, unit=u[unit], hire_date=hired, position=pos
        )
    assignment_change(
        employee=p["chef"],
        start_date=dt.date.today() - dt.timedelta(days=10),
        reason=AssignmentReason.DISPATCH,
        working_unit=u["P"],
        end_date=dt.date.today() + dt.timedelta(days=30),
    )
    p["chef"].refresh_from_db()

    users: dict[str, Any] = {}

    def login(name: str, employee: Any = None, role: str | None = None, unit: Any = None) -> Any:
        user = user_create(
            username=name, password="pw-" + name, employee=employee, check_password=False
        )
        if role:
            role_grant(user=user, role=role, unit=unit)
        users[name] = user
        return user

    login("hr", p["hr"], Role.HR_ADMIN)
    login("hr_south", None, Role.REGIONAL_HR, u["RS"])
    login("gz_manager", None, Role.UNIT_HEAD, u["SGZ"])
    login("partner_manager", None, Role.UNIT_HEAD, u["P"])
    login("gz1", p["gz1"])
    login("auditor", None, Role.AUDITOR)
    login("nobody")
    return World(units=u, people=p, users=users)


@pytest.fixture
def api_client(client: Any) -> Any:
    return client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture(autouse=True)
def _no_lockout_between_tests(settings: Any) -> None:
    # django-axes counts failures in the database; tests that log in many times must not lock
    # each other out. The lockout itself is tested with AXES_ENABLED switched back on.
    settings.AXES_ENABLED = False
    # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_passes_the_ledger_triggers() -> Any:
    """Let the test runner empty the ledger between transactional tests on SQLite.

    SQLite has no TRUNCATE: Django flushes with DELETE, which the append-only triggers of
    migration performance.0004 refuse (as they should in production). For the flush only, the
    triggers are dropped and re-created inside the flush's own transaction.
    """
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    ledger = importlib.import_module("heng.performance.migrations.0004_ledger_append_only")
    original = operations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        statements = original(self, style, tables, **kwargs)
        if "performance_ledgerentry" not in tables:
            return statements
        return [*ledger.SQLITE_DOWN, *statements, *ledger.SQLITE_UP]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(operations, "sql_flush", sql_flush)
        yield

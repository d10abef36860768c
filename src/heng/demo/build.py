"""Build the demo company idempotently: existing rows are found by code, never duplicated."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from heng.accounts.models import Role, User
from heng.accounts.services import role_grant, user_create
from heng.demo.company import (
    DEMO_PASSWORD,
    ECOMMERCE_DEPARTMENTS,
    GIVEN,
    MARKETS,
    PARTNER_STORES,
    POSITIONS,
    REGIONS,
    SURNAMES,
)
from heng.goals.demo import build_goals_demo
from heng.integrations.demo import ingest_demo_data
from heng.org.models import OrgUnit, Position, UnitKind
from heng.org.services import position_create, unit_create
from heng.people.demo import build_people_demo
from heng.people.models import AssignmentReason, Employee
from heng.people.services import HireRow, assignment_change, employees_bulk_hire
from heng.people.validators import id_card_with_checksum
from heng.performance.demo import build_performance_demo
from heng.performance.demo_cycles import build_cycle_demo
from heng.workflows.demo import build_workflows_demo

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    sees: str


class _Builder:
    def __init__(self, *, seed: int, progress: Progress) -> None:
        self.rng = random.Random(seed)
        self.progress = progress
        self.units: dict[str, OrgUnit] = {}
        self.positions: dict[str, Position] = {}
        self.rows: list[HireRow] = []
        self.counter = 0
        self.id_numbers: set[str] = set()

    # --- structure ----------------------------------------------------------------------
    def unit(
        self, code: str, name: str, name_en: str, kind: str, parent: str | None, **extra: Any
    ) -> OrgUnit:
        found = OrgUnit.objects.filter(code=code).first()
        if found is None:
            parent_unit = self.units[parent] if parent else None
            found = unit_create(
                parent=parent_unit, code=code, name=name, name_en=name_en, kind=kind, **extra
            )
        self.units[code] = found
        return found

    def structure(self) -> None:
        for code, name, name_en, duties in POSITIONS:
            self.positions[code] = Position.objects.filter(code=code).first() or position_create(
                code=code, name=name, name_en=name_en, duties=duties
            )
        self.unit("HM", "衡美控股集团", "Hengmei Group", UnitKind.COMPANY, None)
        self.unit("RETAIL", "衡美零售", "Hengmei Retail", UnitKind.COMPANY, "HM")
        for rcode, rname, ren, market, branches in REGIONS:
            self.unit(
                rcode,
                rname,
                ren,
                UnitKind.REGION,
                "RETAIL",
                market_profile={"market": market, **MARKETS[market]},
            )
            for bcode, city, city_en, _ops in branches:
                self.unit(
                    f"B-{bcode}", f"{city}分公司", f"{city_en} Branch", UnitKind.BRANCH, rcode
                )
                self.unit(
                    f"S-{bcode}1",
                    f"{city}旗舰店",
                    f"{city_en} Flagship Store",
                    UnitKind.STORE,
                    f"B-{bcode}",
                )
        self.unit("HQ-OPS", "总部运营部", "HQ Operations", UnitKind.DEPARTMENT, "HM")
        self.unit("HQ-HR", "总部人力资源部", "HQ Human Resources", UnitKind.DEPARTMENT, "HM")
        self.unit("HQ-KITCHEN", "中央厨房", "Central Kitchen", UnitKind.DEPARTMENT, "HM")
        self.unit("PARTNERS", "合作门店", "Partner Stores", UnitKind.REGION, "HM")
        for code, name, name_en, owner in PARTNER_STORES:
            self.unit(code, name, name_en, UnitKind.PARTNER_STORE, "PARTNERS", partner_org=owner)
        self.unit("EC", "衡美电商有限公司", "Hengmei E-commerce Co.", UnitKind.COMPANY, "HM")
        for code, name, name_en, _pos, _w in ECOMMERCE_DEPARTMENTS:
            self.unit(code, name, name_en, UnitKind.DEPARTMENT, "EC")

    # --- people -------------------------------------------------------------------------
    def person(self, unit: str, position: str, *, name: str | None = None) -> str:
        """Queue one hire with deterministic name, dates and ID number; returns the number."""
        self.counter += 1
        number = f"E{self.counter:06d}"
        rng = self.rng
        gender = rng.choice("MF")
        birth = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 27))
        hire = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 9))
        full_name = name or rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        seq = f"{self.counter % 1000:03d}"
        # Sex digit (17th): odd for men, even for women (GB 11643).
        sex_digit = str(rng.choice((1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8)))
        id_number = id_card_with_checksum(f"110105{birth:%Y%m%d}{seq[:2]}{sex_digit}")
        while id_number in self.id_numbers:  # ID numbers are unique; bump the order code
            seq = f"{(int(seq[:2]) + 1) % 100:02d}{seq[2]}"
            id_number = id_card_with_checksum(f"110105{birth:%Y%m%d}{seq[:2]}{sex_digit}")
        self.id_numbers.add(id_number)
        self.rows.append(
            HireRow(
                employee_no=number,
                name=full_name,
                unit=self.units[unit],
                position=self.positions[position],
                hire_date=hire,
                gender=gender,
                birth_date=birth,
                id_card_number=id_number,
                phone=f"13{rng.randrange(10**8, 10**9):09d}",
            )
        )
        return number

    def people(self, total: int) -> dict[str, str]:
        """Named people for the demo logins, then head count spread over stores and departments."""
        named = {
            "hr": self.person("HQ-HR", "hr_specialist", name="许文静"),
            "hr_south": self.person("R-S", "hr_specialist", name="梁嘉琪"),
            "ops_head": self.person("HQ-OPS", "dept_head", name="周明远"),
            "gz_store": self.person("S-GZ1", "store_manager", name="陈晓峰"),
            "operator_bj": self.person("B-BJ", "douyin_ops", name="王强"),
            "chef": self.person("HQ-KITCHEN", "chef", name="李大厨"),
        }
        for _r, _n, _e, _m, branches in REGIONS:
            for bcode, _city, _en, operators in branches:
                self.person(f"B-{bcode}", "branch_head")
                if bcode != "GZ":  # Guangzhou's store manager is a named demo login
                    self.person(f"S-{bcode}1", "store_manager")
                for _ in range(operators - (1 if bcode == "BJ" else 0)):
                    self.person(f"B-{bcode}", "douyin_ops")
        for position in ("user_ops", "user_ops", "event_ops", "cs_agent", "cs_agent"):
            self.person("HQ-OPS", position)
        for _ in range(5):
            self.person("HQ-KITCHEN", "chef")
        for code, _n, _e, _p, _w in ECOMMERCE_DEPARTMENTS:
            self.person(code, "dept_head")
        remaining = max(total - len(self.rows), 0)
        stores = [f"S-{b[0]}1" for r in REGIONS for b in r[4]]
        buckets: list[tuple[str, str, int]] = [(s, "store_sales", 4) for s in stores]
        buckets += [(code, pos, w) for code, _n, _e, pos, w in ECOMMERCE_DEPARTMENTS]
        weights = [w for *_x, w in buckets]
        for unit, position, _w in self.rng.choices(buckets, weights=weights, k=remaining):
            self.person(unit, position)
        return named


def build_demo(
    *, employees: int = 400, seed: int = 2026, progress: Progress = print
) -> list[DemoAccount]:
    """Create (or complete) the demo company. Running it again changes nothing."""
    builder = _Builder(seed=seed, progress=progress)
    with transaction.atomic():
        builder.structure()
    progress(f"org tree: {OrgUnit.objects.count()} units, {Position.objects.count()} positions")
    named = builder.people(employees)
    on_file = set(Employee.objects.values_list("employee_no", flat=True))
    new_rows = [r for r in builder.rows if r.employee_no not in on_file]
    for start in range(0, len(new_rows), 20_000):
        employees_bulk_hire(rows=new_rows[start : start + 20_000])
        progress(f"people: {min(start + 20_000, len(new_rows))}/{len(new_rows)} new")
    with transaction.atomic():
        _history(builder, named, fresh={r.employee_no for r in new_rows})
        accounts = _accounts(builder, named)
    progress(f"people on file: {Employee.objects.count()}")
    build_performance_demo(progress=progress)
    ingest_demo_data(seed=seed, progress=progress)
    build_people_demo(progress=progress)
    logins = build_workflows_demo(password=DEMO_PASSWORD, progress=progress)
    accounts += [DemoAccount(a.username, a.role, a.sees) for a in logins]
    build_cycle_demo(progress=progress)  # after the facts and the hr login; once
    accounts += [DemoAccount(*a) for a in build_goals_demo(DEMO_PASSWORD, progress)]
    return accounts


def _history(builder: _Builder, named: dict[str, str], *, fresh: set[str]) -> None:
    """A transfer for the Beijing operator and the chefs' dispatch to partner stores."""
    today = timezone.localdate()
    if named["operator_bj"] in fresh:
        operator = Employee.objects.get(employee_no=named["operator_bj"])
        # Hired in Tianjin, transferred to Beijing: the e-file shows both.
        first = operator.assignments.get()
        first.home_unit = builder.units["B-TJ"]
        first.save(update_fields=["home_unit"])
        assignment_change(
            employee=operator,
            start_date=max(first.start_date, dt.date(2024, 12, 31)) + dt.timedelta(days=1),
            reason=AssignmentReason.TRANSFER,
            home_unit=builder.units["B-BJ"],
            note="调岗：天津→北京",
        )
    chefs = Employee.objects.filter(
        unit=builder.units["HQ-KITCHEN"], position__code="chef", employee_no__in=fresh
    ).order_by("employee_no")
    for chef, (store_code, *_rest) in zip(chefs, PARTNER_STORES * 2, strict=False):
        assignment_change(
            employee=chef,
            start_date=today - dt.timedelta(days=60),
            reason=AssignmentReason.DISPATCH,
            working_unit=builder.units[store_code],
            end_date=today + dt.timedelta(days=120),
            note="驻店",
        )


def _accounts(builder: _Builder, named: dict[str, str]) -> list[DemoAccount]:
    plan = [
        ("hr", named["hr"], Role.HR_ADMIN, None, "全公司 / whole company"),
        ("hr_south", named["hr_south"], Role.REGIONAL_HR, "R-S", "华南大区 / South region"),
        ("ops_head", named["ops_head"], Role.UNIT_HEAD, "HQ-OPS", "总部运营部 / HQ operations"),
        ("gz_store", named["gz_store"], Role.UNIT_HEAD, "S-GZ1", "广州旗舰店 / one store"),
        ("partner_yl", None, Role.UNIT_HEAD, "PS-YL", "悦来餐厅 + 驻店厨师 / dispatched chef"),
        ("operator_bj", named["operator_bj"], None, None, "本人 / only himself"),
        ("auditor", None, Role.AUDITOR, None, "全公司只读 / read-only"),
    ]
    accounts = []
    for username, number, role, unit_code, sees in plan:
        user = User.objects.filter(username=username).first()
        if user is None:
            employee = Employee.objects.get(employee_no=number) if number else None
            user = user_create(
                username=username, password=DEMO_PASSWORD, employee=employee, check_password=False
            )
        if role is not None:
            role_grant(user=user, role=role, unit=builder.units[unit_code] if unit_code else None)
        accounts.append(DemoAccount(username, str(role or Role.EMPLOYEE), sees))
    return accounts

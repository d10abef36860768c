"""Finding the approvers of a step, relative to the request.

Rules (see :class:`ApproverRule`): the applicant's unit head (``skip`` levels up), the HR of the
applicant's region, holders of a named role (over a unit or company-wide), a named person.
"The applicant's unit" is the home unit of the employee the request is about. Nobody approves
a request about himself or made by himself: such a candidate is passed over and the next level
up is tried; when a rule finds nobody at all, the company's HR admins decide, so a request can
never get stuck without an approver.
"""

from __future__ import annotations

from typing import Any

from heng.accounts.models import Role, RoleGrant, User
from heng.accounts.selectors import company_hr_admins, role_holders_by_level
from heng.people.models import Employee
from heng.workflows.models import ApproverRule


def _eligible(users: list[User], *, applicant: User, employee: Employee) -> list[User]:
    return [u for u in users if u.pk != applicant.pk and u.employee_id != employee.pk]


def _first_level(levels: list[list[User]], *, applicant: User, employee: Employee) -> list[User]:
    for level in levels:
        found = _eligible(level, applicant=applicant, employee=employee)
        if found:
            return found
    return []


def resolve_approvers(step: dict[str, Any], *, employee: Employee, applicant: User) -> list[User]:
    who: dict[str, Any] = {"applicant": applicant, "employee": employee}
    path = employee.unit.path
    rule = step["rule"]
    found: list[User] = []
    if rule == ApproverRule.UNIT_HEAD:
        levels = role_holders_by_level(path, Role.UNIT_HEAD)
        found = _first_level(levels[int(step.get("skip") or 0) :], **who)
    elif rule == ApproverRule.REGION_HR:
        found = _first_level(role_holders_by_level(path, Role.REGIONAL_HR), **who)
    elif rule == ApproverRule.ROLE:
        grants = RoleGrant.objects.filter(
            role=step.get("role"), unit_id=step.get("unit_id"), user__is_active=True
        ).select_related("user")
        found = _eligible(sorted({g.user for g in grants}, key=lambda u: u.username), **who)
    elif rule == ApproverRule.PERSON:
        person = User.objects.filter(pk=step.get("person_id") or 0, is_active=True)
        found = _eligible(list(person), **who)
    return found or _eligible(company_hr_admins(), **who)

"""Who may read and change indicators, frameworks and schemes.

- The indicator library and frameworks are company policy: HR admins change them; anyone
  with a management or audit role reads them.
- A scheme may be changed by HR admins, and by regional HR when everyone it is assigned to
  sits inside their subtree (every assignment names a unit in their scope). A scheme for a
  position company-wide is therefore HR-admin only.
- Everyone may read the resolved scheme of the people they can see — employees their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from heng.accounts.models import Role, User
from heng.accounts.scope import scope_for
from heng.core.errors import NotFound, PermissionDenied
from heng.org.models import OrgUnit
from heng.performance.models import Cycle, Framework, Indicator, Participant, Scheme
from heng.performance.selectors.cycles import participants_visible_to

AnyUser = User | AnonymousUser


def actor_of(request: HttpRequest) -> User | None:
    """The signed-in user of a request, as services record it."""
    user = request.user
    return user if isinstance(user, User) else None


def can_read_policy(user: AnyUser) -> bool:
    """Managers, HR and auditors see the library, frameworks and schemes."""
    scope = scope_for(user)
    return scope.company_wide or bool(scope.unit_paths)


def can_edit_library(user: AnyUser) -> bool:
    scope = scope_for(user)
    return scope.company_wide and scope.can_manage_people


def can_edit_units(user: AnyUser, units: list[OrgUnit | None]) -> bool:
    """May the user own a scheme assigned to exactly these units (None = company-wide)?"""
    scope = scope_for(user)
    if not scope.can_manage_people:
        return False
    if scope.company_wide:
        return True
    return bool(units) and all(
        unit is not None and any(unit.path.startswith(p) for p in scope.unit_paths)
        for unit in units
    )


def can_create_scheme(user: AnyUser) -> bool:
    """HR admins and regional HR (the latter for units in their scope)."""
    return scope_for(user).can_manage_people


def can_edit_scheme(user: AnyUser, scheme: Scheme) -> bool:
    units = [a.unit for a in scheme.assignments.select_related("unit")]
    return can_edit_units(user, units)


def schemes_visible_to(user: AnyUser) -> QuerySet[Scheme]:
    if not can_read_policy(user):
        return Scheme.objects.none()
    return Scheme.objects.all()


def access_scheme(user: AnyUser, code: str) -> Scheme:
    try:
        return schemes_visible_to(user).select_related("framework").get(code=code)
    except Scheme.DoesNotExist:
        raise NotFound() from None


def access_scheme_for_edit(user: AnyUser, code: str) -> Scheme:
    scheme = access_scheme(user, code)
    if not can_edit_scheme(user, scheme):
        raise PermissionDenied()
    return scheme


def access_indicator(user: AnyUser, code: str) -> Indicator:
    if not can_read_policy(user):
        raise NotFound()
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        raise NotFound() from None


def access_framework(user: AnyUser, code: str) -> Framework:
    if not can_read_policy(user):
        raise NotFound()
    try:
        return Framework.objects.get(code=code)
    except Framework.DoesNotExist:
        raise NotFound() from None


def require_library_editor(user: AnyUser) -> None:
    if not can_edit_library(user):
        raise PermissionDenied()


# --- Cycle inputs (issue #5): who may set targets, manager entries and bonus points --------
#
# HR admins (company-wide or on a subtree), regional HR and unit heads act on the cycle's
# participants whose scored, home or working unit lies in a subtree of those grants — so a
# partner store's manager reaches the chef dispatched to his store — and a participant's
# snapshotted manager reaches him. Auditors and plain employees read, never write; nobody
# sets his own targets, rates himself or gives himself bonus points. Everything else answers
# NotFound (outside the reading scope) or PermissionDenied (visible, but not yours to change).

CYCLE_INPUT_ROLES = (Role.HR_ADMIN, Role.REGIONAL_HR, Role.UNIT_HEAD)


@dataclass(frozen=True)
class CycleInputReach:
    everyone: bool = False
    paths: tuple[str, ...] = ()
    employee_id: int | None = None


def cycle_input_reach(user: AnyUser) -> CycleInputReach:
    """The subtrees in which ``user`` may enter cycle inputs (cached on the user)."""
    if not user.is_authenticated or not isinstance(user, User):
        return CycleInputReach()
    cached: CycleInputReach | None = getattr(user, "_heng_cycle_reach", None)
    if cached is not None:
        return cached
    grants = list(user.role_grants.filter(role__in=CYCLE_INPUT_ROLES).select_related("unit"))
    reach = CycleInputReach(
        everyone=user.is_superuser
        or any(g.role == Role.HR_ADMIN and g.unit is None for g in grants),
        paths=tuple(sorted({g.unit.path for g in grants if g.unit is not None})),
        employee_id=user.employee_id,
    )
    user._heng_cycle_reach = reach  # type: ignore[attr-defined]
    return reach


def participants_editable_by(user: AnyUser, cycle: Cycle) -> QuerySet[Participant]:
    """Participants whose targets, manager entries and bonus points ``user`` may change."""
    reach = cycle_input_reach(user)
    rows = cycle.participants.all()
    if not reach.everyone:
        cond = Q(pk__in=[])
        for path in reach.paths:
            cond |= (
                Q(unit_path__startswith=path)
                | Q(home_unit__path__startswith=path)
                | Q(working_unit__path__startswith=path)
            )
        if reach.employee_id is not None:
            cond |= Q(manager_id=reach.employee_id)
        rows = rows.filter(cond)
    if reach.employee_id is not None:
        rows = rows.exclude(employee_id=reach.employee_id)
    return rows


def participants_listed_for(user: AnyUser, cycle: Cycle) -> QuerySet[Participant]:
    """What the input pages list: the reading scope plus everyone the user may change."""
    visible = participants_visible_to(user, cycle).values("pk")
    editable = participants_editable_by(user, cycle).values("pk")
    return cycle.participants.filter(Q(pk__in=visible) | Q(pk__in=editable))


def can_edit_participant(user: AnyUser, participant: Participant) -> bool:
    return participants_editable_by(user, participant.cycle).filter(pk=participant.pk).exists()


def access_participant(user: AnyUser, cycle: Cycle, employee_id: int) -> Participant:
    """The cycle's participant for ``employee_id`` if listed for the user, else NotFound."""
    try:
        return (
            participants_listed_for(user, cycle)
            .select_related("cycle", "unit", "home_unit", "working_unit")
            .get(employee_id=employee_id)
        )
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def require_participant_editor(actor: AnyUser | None, participant: Participant) -> None:
    """The services' check: ``None`` is the system (CLI, demo, tasks); a user must reach the
    participant — NotFound when he cannot even see him, PermissionDenied when he only reads."""
    if actor is None:
        return
    if can_edit_participant(actor, participant):
        return
    if participants_listed_for(actor, participant.cycle).filter(pk=participant.pk).exists():
        raise PermissionDenied()
    raise NotFound()


def access_participant_for_edit(user: AnyUser, cycle: Cycle, employee_id: int) -> Participant:
    participant = access_participant(user, cycle, employee_id)
    require_participant_editor(user, participant)
    return participant

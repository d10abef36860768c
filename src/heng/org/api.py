"""Org units over the API (scoped)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from heng.accounts.scope import scope_for
from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import PermissionDenied, ValidationFailed
from heng.org import services
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit, can_manage_unit, units_visible_to
from heng.org.selectors import with_parent_id

router = Router(tags=["org"])


class UnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    depth: int
    path: str
    parent_id: int | None
    partner_org: str
    market_profile: dict[str, Any]
    headcount: int | None = None


class UnitIn(Schema):
    code: str
    name: str
    kind: str
    parent_id: int | None = None
    name_en: str = ""
    partner_org: str = ""
    market_profile: dict[str, Any] = {}


class UnitPatch(Schema):
    code: str | None = None
    name: str | None = None
    name_en: str | None = None
    kind: str | None = None
    partner_org: str | None = None
    market_profile: dict[str, Any] | None = None
    parent_id: int | None = None


def _out(unit: OrgUnit, headcount: int | None = None) -> dict[str, Any]:
    parent = OrgUnit.objects.get_parent(unit) if unit.depth > 1 else None
    return {
        **{
            f: getattr(unit, f) for f in UnitOut.model_fields if f not in ("parent_id", "headcount")
        },
        "parent_id": parent.pk if parent else None,
        "headcount": headcount,
    }


@router.get("/units", response={200: list[UnitOut], **ERRORS})
@paginate(BoundedPagination)
def list_units(request: HttpRequest, q: str = "", kind: str = "") -> Any:
    units = units_visible_to(request.user).order_by("path")
    if q:
        units = units.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if kind:
        units = units.filter(kind=kind)
    return with_parent_id(units).annotate(
        headcount=Count("home_staff", filter=Q(home_staff__status="active"))
    )


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS})
def get_unit(request: HttpRequest, unit_id: int) -> Any:
    unit = access_unit(request.user, unit_id)
    return _out(unit, unit.home_staff.filter(status="active").count())


def _require_manage(request: HttpRequest, unit: OrgUnit | None) -> None:
    scope = scope_for(request.user)
    allowed = (
        scope.company_wide and scope.can_manage_people
        if unit is None
        else (can_manage_unit(request.user, unit))
    )
    if not allowed:
        raise PermissionDenied()


@router.post("/units", response={201: UnitOut, **ERRORS})
def create_unit(request: HttpRequest, payload: UnitIn) -> Any:
    parent = access_unit(request.user, payload.parent_id) if payload.parent_id else None
    _require_manage(request, parent)
    unit = services.unit_create(
        parent=parent,
        code=payload.code,
        name=payload.name,
        kind=payload.kind,
        name_en=payload.name_en,
        partner_org=payload.partner_org,
        market_profile=payload.market_profile,
    )
    return Status(201, _out(unit, 0))


@router.patch("/units/{unit_id}", response={200: UnitOut, **ERRORS})
def update_unit(request: HttpRequest, unit_id: int, payload: UnitPatch) -> Any:
    unit = access_unit(request.user, unit_id)
    _require_manage(request, unit)
    changes = payload.model_dump(exclude_unset=True)
    new_parent_id = changes.pop("parent_id", None)
    if new_parent_id is not None:
        new_parent = access_unit(request.user, new_parent_id)
        _require_manage(request, new_parent)
    if any(v is None for v in changes.values()):
        raise ValidationFailed(
            fields={k: _("Must not be empty.") for k, v in changes.items() if v is None}
        )
    with transaction.atomic():
        code = changes.pop("code", None)
        unit = services.unit_update(unit=unit, code=code, **changes)
        if new_parent_id is not None:
            unit = services.unit_move(unit=unit, new_parent=new_parent)
    return _out(unit, unit.home_staff.filter(status="active").count())


@router.delete("/units/{unit_id}", response={204: None, **ERRORS})
def delete_unit(request: HttpRequest, unit_id: int) -> Any:
    unit = access_unit(request.user, unit_id)
    _require_manage(request, unit)
    services.unit_delete(unit=unit)
    return Status(204, None)

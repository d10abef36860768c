"""Writes on the org tree. Tree writes run in one transaction; treebeard rewrites paths."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from heng.org.errors import UnitHasPeople, UnitInvalid, UnitMoveIntoOwnSubtree
from heng.org.models import OrgUnit, Position, UnitKind

_UNIT_FIELDS = ("name", "name_en", "kind", "partner_org", "market_profile")


def _validate_unit_fields(*, code: str, name: str, kind: str, exclude_pk: int | None) -> None:
    others = OrgUnit.objects.exclude(pk=exclude_pk) if exclude_pk is not None else OrgUnit.objects
    errors: dict[str, str] = {}
    if not code.strip():
        errors["code"] = _("Code is required.")
    elif others.filter(code=code).exists():
        errors["code"] = _("Code %(code)s is already used by another unit.") % {"code": code}
    if not name.strip():
        errors["name"] = _("Name is required.")
    if kind not in UnitKind.values:
        errors["kind"] = _("Unknown unit kind: %(kind)s.") % {"kind": kind}
    if errors:
        raise UnitInvalid(_("The unit could not be saved."), fields=errors)


@transaction.atomic
def unit_create(
    *,
    parent: OrgUnit | None,
    code: str,
    name: str,
    kind: str,
    name_en: str = "",
    partner_org: str = "",
    market_profile: dict[str, Any] | None = None,
) -> OrgUnit:
    """Add a unit under ``parent`` (or a new root company when ``parent`` is None)."""
    _validate_unit_fields(code=code, name=name, kind=kind, exclude_pk=None)
    values = {
        "code": code.strip(),
        "name": name.strip(),
        "name_en": name_en.strip(),
        "kind": kind,
        "partner_org": partner_org.strip(),
        "market_profile": market_profile or {},
    }
    try:
        if parent is None:
            unit: OrgUnit = OrgUnit.objects.add_root(values)
        else:
            parent.refresh_from_db()
            unit = OrgUnit.objects.add_child(parent, values)
        return unit
    except IntegrityError as exc:  # a concurrent insert with the same code
        raise UnitInvalid(_("The unit could not be saved."), fields={"code": str(exc)}) from exc


@transaction.atomic
def unit_update(*, unit: OrgUnit, code: str | None = None, **changes: Any) -> OrgUnit:
    """Change a unit's own fields (not its place in the tree; see :func:`unit_move`)."""
    unknown = set(changes) - set(_UNIT_FIELDS)
    if unknown:
        raise UnitInvalid(fields={f: _("This field cannot be changed here.") for f in unknown})
    new_code = code if code is not None else unit.code
    _validate_unit_fields(
        code=new_code,
        name=changes.get("name", unit.name),
        kind=changes.get("kind", unit.kind),
        exclude_pk=unit.pk,
    )
    unit.code = new_code
    for field, value in changes.items():
        setattr(unit, field, value)
    unit.save()
    return unit


@transaction.atomic
def unit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move ``unit`` with its whole subtree under ``new_parent``."""
    unit.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        raise UnitMoveIntoOwnSubtree()
    try:
        OrgUnit.objects.move(unit, new_parent, "sorted-child")
    except InvalidMoveToDescendant as exc:
        raise UnitMoveIntoOwnSubtree() from exc
    unit.refresh_from_db()
    return unit


@transaction.atomic
def unit_delete(*, unit: OrgUnit) -> None:
    """Delete a unit and its subtree; refused while anyone is (or was) assigned there."""
    unit.refresh_from_db()
    try:
        with transaction.atomic():
            unit.delete()
    except ProtectedError as exc:
        raise UnitHasPeople(
            _(
                "%(unit)s cannot be deleted: %(n)d employee or assignment records still refer "
                "to it or its sub-units. Move the people first."
            )
            % {"unit": unit.name, "n": len(exc.protected_objects)},
            fields={"unit": unit.code},
        ) from exc


@transaction.atomic
def position_create(*, code: str, name: str, name_en: str = "", duties: str = "") -> Position:
    errors: dict[str, str] = {}
    if not code.strip():
        errors["code"] = _("Code is required.")
    elif Position.objects.filter(code=code).exists():
        errors["code"] = _("Code %(code)s is already used by another position.") % {"code": code}
    if not name.strip():
        errors["name"] = _("Name is required.")
    if errors:
        raise UnitInvalid(_("The position could not be saved."), fields=errors)
    return Position.objects.create(
        code=code.strip(), name=name.strip(), name_en=name_en, duties=duties
    )

"""Schemes over the API: working copy (lines, overrides), publishing, versions, files."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from heng.core.api import ERRORS, BoundedPagination
from heng.core.errors import NotFound, PermissionDenied, ValidationFailed
from heng.org.models import OrgUnit, Position
from heng.people.models import Employee
from heng.performance import services
from heng.performance.api.schemas import (
    AppliesTo,
    ImportOut,
    LineIn,
    LinePatch,
    OverrideIn,
    PublishIn,
    SchemeDetailOut,
    SchemeIn,
    SchemeListOut,
    SchemePatch,
    VersionDetailOut,
    VersionOut,
    WeightsIn,
)
from heng.performance.models import Framework, Indicator, Scheme, SchemeLine, SchemeVersion
from heng.performance.permissions import (
    access_scheme,
    access_scheme_for_edit,
    actor_of,
    can_edit_scheme,
    can_edit_units,
    require_library_editor,
    schemes_visible_to,
)
from heng.performance.selectors.documents import scheme_document
from heng.performance.selectors.library import scheme_search

router = Router(tags=["performance: schemes"])


def _by_code(model: Any, code: str, field: str) -> Any:
    found = model.objects.filter(code=code).first()
    if found is None:
        raise ValidationFailed(
            _("%(code)s does not exist.") % {"code": code},
            code="unknown_code",
            fields={field: _("Unknown code.")},
        )
    return found


def _applies(items: list[AppliesTo]) -> list[tuple[OrgUnit | None, Position | None]]:
    return [
        (
            _by_code(OrgUnit, a.unit, "applies_to") if a.unit else None,
            _by_code(Position, a.position, "applies_to") if a.position else None,
        )
        for a in items
    ]


def _version(version: SchemeVersion) -> dict[str, Any]:
    by = version.published_by
    return {
        "number": version.number,
        "effective_from": version.effective_from,
        "published_at": version.published_at,
        "published_by": by.username if by else None,
        "digest": version.digest,
        "note": version.note,
        "document": version.document,
    }


def _detail(request: HttpRequest, scheme: Scheme) -> dict[str, Any]:
    return {
        "code": scheme.code,
        "name": scheme.name,
        "name_en": scheme.name_en,
        "description": scheme.description,
        "has_draft_changes": scheme.has_draft_changes,
        "can_edit": can_edit_scheme(request.user, scheme),
        "document": scheme_document(scheme),
        "problems": [p.__dict__ for p in services.scheme_problems(scheme)],
        "versions": [_version(v) for v in scheme.versions.select_related("published_by")],
    }


@router.get("/schemes", response={200: list[SchemeListOut], **ERRORS})
@paginate(BoundedPagination)
def list_schemes(request: HttpRequest, q: str = "") -> Any:
    return [
        {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "framework": s.framework.code,
            "has_draft_changes": s.has_draft_changes,
            "latest_version": getattr(s, "latest_version", None),
        }
        for s in scheme_search(schemes_visible_to(request.user), q=q[:60])
    ]


@router.post("/schemes", response={201: SchemeDetailOut, **ERRORS})
def create_scheme(request: HttpRequest, payload: SchemeIn) -> Any:
    applies = _applies(payload.applies_to)
    if not can_edit_units(request.user, [u for u, _p in applies] or [None]):
        raise PermissionDenied()
    scheme = services.scheme_create(
        actor=actor_of(request),
        code=payload.code,
        name=payload.name,
        name_en=payload.name_en,
        description=payload.description,
        framework=_by_code(Framework, payload.framework, "framework"),
        applies_to=applies,
    )
    return Status(201, _detail(request, scheme))


@router.get("/schemes/{code}", response={200: SchemeDetailOut, **ERRORS})
def get_scheme(request: HttpRequest, code: str) -> Any:
    return _detail(request, access_scheme(request.user, code))


@router.patch("/schemes/{code}", response={200: SchemeDetailOut, **ERRORS})
def update_scheme(request: HttpRequest, code: str, payload: SchemePatch) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    changes = payload.model_dump(exclude_unset=True)
    applies = None
    if payload.applies_to is not None:
        applies = _applies(payload.applies_to)
        if not can_edit_units(request.user, [u for u, _p in applies] or [None]):
            raise PermissionDenied()
    framework = (
        _by_code(Framework, changes["framework"], "framework") if changes.get("framework") else None
    )
    scheme = services.scheme_update(
        actor=actor_of(request),
        scheme=scheme,
        name=changes.get("name"),
        name_en=changes.get("name_en"),
        description=changes.get("description"),
        framework=framework,
        applies_to=applies,
    )
    return _detail(request, scheme)


def _line(scheme: Scheme, indicator: str) -> SchemeLine:
    line = (
        scheme.lines.select_related("indicator", "scheme").filter(indicator__code=indicator).first()
    )
    if line is None:
        raise NotFound()
    return line


@router.post("/schemes/{code}/lines", response={201: SchemeDetailOut, **ERRORS})
def add_line(request: HttpRequest, code: str, payload: LineIn) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    indicator = Indicator.objects.filter(code=payload.indicator).first()
    if indicator is None:
        raise ValidationFailed(
            _("Indicator %(code)s is not in the library.") % {"code": payload.indicator},
            code="indicator_unknown",
            fields={"indicator": _("Not in the library.")},
        )
    values = payload.model_dump(exclude={"indicator"})
    services.scheme_line_add(
        actor=actor_of(request),
        scheme=scheme,
        indicator=indicator,
        **values,
    )
    return Status(201, _detail(request, scheme))


@router.patch("/schemes/{code}/lines/{indicator}", response={200: SchemeDetailOut, **ERRORS})
def update_line(request: HttpRequest, code: str, indicator: str, payload: LinePatch) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    changes = payload.model_dump(exclude_unset=True)
    if "rule" in changes and changes["rule"] is None:
        changes["rule"] = ""
    services.scheme_line_update(
        actor=actor_of(request),
        line=_line(scheme, indicator),
        **changes,
    )
    return _detail(request, scheme)


@router.delete("/schemes/{code}/lines/{indicator}", response={200: SchemeDetailOut, **ERRORS})
def remove_line(request: HttpRequest, code: str, indicator: str) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    services.scheme_line_remove(actor=actor_of(request), line=_line(scheme, indicator))
    return _detail(request, scheme)


@router.put("/schemes/{code}/weights", response={200: SchemeDetailOut, **ERRORS})
def set_weights(request: HttpRequest, code: str, payload: WeightsIn) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    services.scheme_weights_set(
        actor=actor_of(request),
        scheme=scheme,
        weights=payload.weights,
    )
    return _detail(request, scheme)


def _save_override(
    request: HttpRequest, scheme: Scheme, payload: OverrideIn, existing: Any = None
) -> None:
    employee = None
    if payload.employee:
        employee = Employee.objects.filter(employee_no=payload.employee).first()
        if employee is None:
            raise ValidationFailed(
                _("Employee %(code)s does not exist.") % {"code": payload.employee},
                code="employee_unknown",
                fields={"employee": _("Unknown employee number.")},
            )
    services.override_save(
        actor=actor_of(request),
        scheme=scheme,
        code=payload.code,
        name=payload.name,
        unit=_by_code(OrgUnit, payload.unit, "unit") if payload.unit else None,
        position=_by_code(Position, payload.position, "position") if payload.position else None,
        employee=employee,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
        note=payload.note,
        existing=existing,
        changes=[services.ChangeIn(**c.model_dump()) for c in payload.changes],
    )


@router.post("/schemes/{code}/overrides", response={201: SchemeDetailOut, **ERRORS})
def add_override(request: HttpRequest, code: str, payload: OverrideIn) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    _save_override(request, scheme, payload)
    return Status(201, _detail(request, scheme))


@router.put("/schemes/{code}/overrides/{override}", response={200: SchemeDetailOut, **ERRORS})
def replace_override(request: HttpRequest, code: str, override: str, payload: OverrideIn) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    existing = scheme.overrides.filter(code=override).first()
    if existing is None:
        raise NotFound()
    _save_override(request, scheme, payload, existing)
    return _detail(request, scheme)


@router.delete("/schemes/{code}/overrides/{override}", response={200: SchemeDetailOut, **ERRORS})
def delete_override(request: HttpRequest, code: str, override: str) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    existing = scheme.overrides.filter(code=override).first()
    if existing is None:
        raise NotFound()
    services.override_delete(actor=actor_of(request), override=existing)
    return _detail(request, scheme)


@router.post("/schemes/{code}/publish", response={201: VersionDetailOut, **ERRORS})
def publish(request: HttpRequest, code: str, payload: PublishIn) -> Any:
    scheme = access_scheme_for_edit(request.user, code)
    version = services.scheme_publish(
        actor=actor_of(request),
        scheme=scheme,
        effective_from=payload.effective_from,
        note=payload.note,
    )
    return Status(201, _version(version))


@router.get("/schemes/{code}/versions", response={200: list[VersionOut], **ERRORS})
def list_versions(request: HttpRequest, code: str) -> Any:
    scheme = access_scheme(request.user, code)
    return [_version(v) for v in scheme.versions.select_related("published_by")]


@router.get("/schemes/{code}/versions/{number}", response={200: VersionDetailOut, **ERRORS})
def get_version(request: HttpRequest, code: str, number: int) -> Any:
    scheme = access_scheme(request.user, code)
    version = scheme.versions.filter(number=number).first()
    if version is None:
        raise NotFound()
    return _version(version)


YAML_BODY = {
    "requestBody": {
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        }
    }
}


def uploaded_text(request: HttpRequest, *, limit: int = 2_000_000) -> str:
    """The YAML of an upload: a multipart ``file`` or the raw request body."""
    upload = request.FILES.get("file")
    raw = upload.read(limit + 1) if upload is not None else request.body[: limit + 1]
    if len(raw) > limit:
        raise ValidationFailed(_("The file is larger than 2 MB."), code="file_too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(_("The file is not UTF-8 text."), code="file_not_text") from None


@router.get(
    "/schemes/{code}/file",
    response={200: str, **ERRORS},
    openapi_extra={"responses": {200: {"content": {"application/yaml": {}}}}},
)
def export_file(request: HttpRequest, code: str, version: int | None = None) -> HttpResponse:
    scheme = access_scheme(request.user, code)
    if version is not None and not scheme.versions.filter(number=version).exists():
        raise NotFound()
    text = services.scheme_file_export(scheme, version=version)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    suffix = f"-v{version}" if version is not None else ""
    response["Content-Disposition"] = f'attachment; filename="{scheme.code}{suffix}.yaml"'
    return response


@router.post(
    "/scheme-files", response={200: ImportOut, 201: ImportOut, **ERRORS}, openapi_extra=YAML_BODY
)
def import_file(request: HttpRequest, dry_run: bool = False, publish: bool = False) -> Any:
    """Create or update a whole scheme from a scheme file (YAML). Refusals name the line."""
    # A file may create or change indicators and frameworks: company policy, HR admins only.
    require_library_editor(request.user)
    text = uploaded_text(request)
    report = services.scheme_file_import(
        actor=actor_of(request),
        text=text,
        dry_run=dry_run,
        publish=publish,
    )
    return Status(200 if dry_run else 201, report.as_dict())


__all__ = ["router", "uploaded_text"]

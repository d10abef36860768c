"""Indicator library and frameworks over the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from heng.core.api import ERRORS, BoundedPagination
from heng.performance import services
from heng.performance.api.schemas import (
    FrameworkIn,
    FrameworkPatch,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
)
from heng.performance.documents.model import Doc
from heng.performance.models import Indicator
from heng.performance.permissions import (
    access_framework,
    access_indicator,
    actor_of,
    can_read_policy,
    require_library_editor,
)
from heng.performance.selectors.documents import framework_document
from heng.performance.selectors.library import framework_list, indicator_search

router = Router(tags=["performance: library"])


@router.get("/indicators", response={200: list[IndicatorOut], **ERRORS})
@paginate(BoundedPagination)
def list_indicators(
    request: HttpRequest, q: str = "", category: str = "", value_kind: str = ""
) -> Any:
    if not can_read_policy(request.user):
        return Indicator.objects.none()
    return indicator_search(q=q[:60], category=category, value_kind=value_kind)


@router.post("/indicators", response={201: IndicatorOut, **ERRORS})
def create_indicator(request: HttpRequest, payload: IndicatorIn) -> Any:
    require_library_editor(request.user)
    indicator = services.indicator_create(actor=actor_of(request), **payload.model_dump())
    return Status(201, indicator)


@router.get("/indicators/{code}", response={200: IndicatorOut, **ERRORS})
def get_indicator(request: HttpRequest, code: str) -> Any:
    return access_indicator(request.user, code)


@router.patch("/indicators/{code}", response={200: IndicatorOut, **ERRORS})
def update_indicator(request: HttpRequest, code: str, payload: IndicatorPatch) -> Any:
    indicator = access_indicator(request.user, code)
    require_library_editor(request.user)
    changes = payload.model_dump(exclude_unset=True)
    return services.indicator_update(
        actor=actor_of(request),
        indicator=indicator,
        **changes,
    )


@router.delete("/indicators/{code}", response={204: None, **ERRORS})
def delete_indicator(request: HttpRequest, code: str) -> Any:
    indicator = access_indicator(request.user, code)
    require_library_editor(request.user)
    services.indicator_delete(actor=actor_of(request), indicator=indicator)
    return Status(204, None)


@router.get("/frameworks", response={200: list[dict[str, Any]], **ERRORS})
def list_frameworks(request: HttpRequest) -> Any:
    if not can_read_policy(request.user):
        return []
    return [framework_document(f) for f in framework_list()]


@router.post("/frameworks", response={201: dict[str, Any], **ERRORS})
def create_framework(request: HttpRequest, payload: FrameworkIn) -> Any:
    require_library_editor(request.user)
    values = payload.model_dump()
    if values["rating_bands"] is None:
        values.pop("rating_bands")
    framework = services.framework_create(actor=actor_of(request), **values)
    return Status(201, framework_document(framework))


@router.get("/frameworks/{code}", response={200: dict[str, Any], **ERRORS})
def get_framework(request: HttpRequest, code: str) -> Doc:
    return framework_document(access_framework(request.user, code))


@router.patch("/frameworks/{code}", response={200: dict[str, Any], **ERRORS})
def update_framework(request: HttpRequest, code: str, payload: FrameworkPatch) -> Doc:
    framework = access_framework(request.user, code)
    require_library_editor(request.user)
    changes = payload.model_dump(exclude_unset=True)
    framework = services.framework_update(
        actor=actor_of(request),
        framework=framework,
        **changes,
    )
    return framework_document(framework)

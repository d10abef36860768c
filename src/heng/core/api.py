"""Shared API plumbing: one error format, bounded pagination."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination
from pydantic import Field

from heng.core.errors import ApplicationError


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = {}


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    # ninja reports ("body", "payload", "name"): the user cares about the last real field name.
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = {_field_name(e.get("loc", ())): str(e.get("msg", "")) for e in exc.errors}
        body = {
            "code": "validation_failed",
            "message": _("Some fields are invalid."),
            "fields": fields,
        }
        return api.create_response(request, body, status=422)

    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = {"code": "not_authenticated", "message": _("Please sign in."), "fields": {}}
        return api.create_response(request, body, status=401)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        body = {"code": f"http_{exc.status_code}", "message": str(exc), "fields": {}}
        return api.create_response(request, body, status=exc.status_code)

    # ninja's stub types the handler's exception as "instance or class"; ours get instances.
    api.add_exception_handler(ApplicationError, application_error)  # type: ignore[arg-type]
    api.add_exception_handler(NinjaValidationError, validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, authentication_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]


class BoundedPagination(PageNumberPagination):
    """Page-number pagination whose inputs cannot overflow the database (500s otherwise)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int | None = Field(None, ge=1, le=500)

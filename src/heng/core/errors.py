"""One error model for the whole application.

Services raise :class:`ApplicationError` subclasses carrying a stable ``code``, a message already
translated into the user's language, and optionally the ``fields`` it concerns. The API turns
them into ``{"code", "message", "fields"}``; pages show the message next to the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "invalid"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = str(message) if message is not None else self.code
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(ApplicationError):
    status = 422
    default_code = "validation_failed"


class NotFound(ApplicationError):
    """Missing *or* outside the caller's scope: both answer the same, by design."""

    status = 404
    default_code = "not_found"

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        super().__init__(message or str(_("Not found.")), **kwargs)  # type: ignore[arg-type]


class PermissionDenied(ApplicationError):
    status = 403
    default_code = "permission_denied"

    def __init__(self, message: str | None = None, **kwargs: object) -> None:
        super().__init__(
            message or str(_("You do not have permission to do this.")),
            **kwargs,  # type: ignore[arg-type]
        )


class Conflict(ApplicationError):
    status = 409
    default_code = "conflict"


def field_errors_from_django(error: Exception) -> dict[str, str]:
    """Flatten a django ValidationError into {field: first message}."""
    from django.core.exceptions import ValidationError

    if not isinstance(error, ValidationError):
        return {}
    if hasattr(error, "error_dict"):
        return {k: str(v[0].messages[0]) for k, v in error.error_dict.items()}
    return {"__all__": str(error.messages[0])}

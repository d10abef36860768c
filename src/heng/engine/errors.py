"""The one exception the engine raises.

The Django layer maps ``code`` to a translated message; ``message`` is plain English for logs,
the CLI and data scientists; ``details`` names the offending items (employee, indicator, rule,
parameter, YAML path …) so a UI can point at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["EngineError"]


class EngineError(ValueError):
    """A refused input or configuration. ``code`` is stable; never parse ``message``."""

    def __init__(self, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form used by the CLI and by API error handlers."""
        return {"code": self.code, "message": self.message, "details": self.details}

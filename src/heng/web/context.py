"""Navigation per role, available to every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from heng.accounts.scope import scope_for
from heng.core.selectors import can_read_audit
from heng.integrations.permissions import can_view as can_view_integrations


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_for(user)
    items: list[tuple[str, Any]] = [(reverse("home"), _("Home"))]
    if scope.company_wide or scope.unit_paths:
        items += [(reverse("org-tree"), _("Organisation")), (reverse("employee-list"), _("People"))]
    if scope.company_wide or scope.unit_paths:
        items.append((reverse("performance:scheme-list"), _("Schemes")))
    if can_view_integrations(user):
        items.append((reverse("integrations:sources"), _("Data")))
    if scope.own_employee_id is not None:
        items.append((reverse("employee-detail", args=[scope.own_employee_id]), _("My e-file")))
    if scope.own_employee_id is not None:
        items.append((reverse("performance:resolved"), _("My scheme")))
    if scope.company_wide or scope.unit_paths:
        items.append((reverse("performance:cycle-list"), _("Appraisal cycles")))
    if scope.own_employee_id is not None:
        items.append((reverse("performance:scorecard"), _("Scorecard")))
        items.append((reverse("performance:reviews-mine"), _("My reviews")))
    items.append((reverse("goals:home"), _("Goals")))
    items.append((reverse("approval-home"), _("Approvals")))
    if scope.can_manage_people:
        items.append((reverse("people-import"), _("Import")))
    if can_read_audit(user):
        items.append((reverse("audit-log"), _("Audit")))
    items.append((reverse("account-tokens"), _("API tokens")))
    if user.is_staff:
        items.append((reverse("admin:index"), _("Admin")))
    items.append((reverse("api-v1:openapi-view"), _("API")))
    current = request.path
    return {
        "nav_items": [
            {
                "url": url,
                "label": label,
                "active": (url != "/" and current.startswith(url)) or url == current,
            }
            for url, label in items
        ],
        "user_scope": scope,
    }

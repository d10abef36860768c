"""The /api/v1/ composition: one ninja router per app, one error format, two auth methods."""

from __future__ import annotations

from ninja import NinjaAPI

from heng.accounts.api import router as accounts_router
from heng.accounts.api_auth import API_AUTH
from heng.core.api import install_error_handlers
from heng.core.api_audit import router as audit_router
from heng.goals.api import router as goals_router
from heng.integrations.api import router as integrations_router
from heng.notifications.api import router as notifications_router
from heng.org.api import router as org_router
from heng.people.api import router as people_router
from heng.performance.api import router as performance_router
from heng.workflows.api import router as workflows_router

api = NinjaAPI(
    title="Heng (衡) API",
    version="1",
    description=(
        "Fair, data-driven performance assessment. Authenticate with the browser session "
        "(CSRF token required for writes) or `Authorization: Bearer <token>`; every answer "
        "is limited to the caller's data scope. Errors: `{code, message, fields}`."
    ),
    auth=API_AUTH,
    urls_namespace="api-v1",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/org", org_router)
api.add_router("/", people_router)
api.add_router("/audit", audit_router)
api.add_router("/", workflows_router)
api.add_router("/performance", performance_router)
api.add_router("/", integrations_router)
api.add_router("/", notifications_router)
api.add_router("/", goals_router)

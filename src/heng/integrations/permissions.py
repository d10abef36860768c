"""Who may feed and read integration data.

Feeding data (upload, push, connectors, revoke) is for HR admins and regional HR; a regional HR
can only feed rows about people and units in their scope (others are quarantined as unknown,
the same answer as for a number that does not exist). Reading sources and batches is for those
roles and auditors; a regional HR sees the batches they delivered. Connectors (credentials,
company-wide pulls) are configured by company-wide HR admins only. Lineage is read through the
employee's own access rule (``access_employee``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from heng.accounts.models import Role, User
from heng.accounts.scope import scope_for
from heng.core.errors import NotFound, PermissionDenied
from heng.integrations.models import Batch, Connector, Source

AnyUser = User | AnonymousUser


def can_ingest(user: AnyUser) -> bool:
    scope = scope_for(user)
    return bool(
        user.is_authenticated
        and (user.is_superuser or scope.roles & {Role.HR_ADMIN, Role.REGIONAL_HR})
    )


def can_view(user: AnyUser) -> bool:
    scope = scope_for(user)
    return can_ingest(user) or bool(scope.company_wide and Role.AUDITOR in scope.roles)


def require_ingest(user: AnyUser) -> None:
    if not can_ingest(user):
        raise PermissionDenied()


def can_configure_connectors(user: AnyUser) -> bool:
    """Connectors hold credentials and pull for the whole company (their rows are not limited
    to anyone's scope): company-wide HR admins configure them."""
    scope = scope_for(user)
    return bool(
        user.is_authenticated
        and (user.is_superuser or (scope.company_wide and Role.HR_ADMIN in scope.roles))
    )


def require_connector_admin(user: AnyUser) -> None:
    """Not found for those who may not even see connectors; forbidden for other readers."""
    if not can_view(user):
        raise NotFound()
    if not can_configure_connectors(user):
        raise PermissionDenied()


def sources_visible_to(user: AnyUser) -> QuerySet[Source]:
    return Source.objects.all() if can_view(user) else Source.objects.none()


def access_source(user: AnyUser, code: str) -> Source:
    try:
        return sources_visible_to(user).get(code=code)
    except Source.DoesNotExist:
        raise NotFound() from None


def batches_visible_to(user: AnyUser) -> QuerySet[Batch]:
    if not can_view(user):
        return Batch.objects.none()
    if scope_for(user).company_wide:
        return Batch.objects.all()
    return Batch.objects.filter(actor_id=user.pk)


def access_batch(user: AnyUser, batch_id: int) -> Batch:
    try:
        return batches_visible_to(user).select_related("source").get(pk=batch_id)
    except (Batch.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def connectors_visible_to(user: AnyUser) -> QuerySet[Connector]:
    return Connector.objects.all() if can_view(user) else Connector.objects.none()


def access_connector(user: AnyUser, connector_id: int) -> Connector:
    try:
        return connectors_visible_to(user).select_related("source").get(pk=connector_id)
    except (Connector.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None

"""Writes on accounts: users, role grants and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.accounts.models import COMPANY_WIDE_ROLES, SCOPED_ROLES, ApiToken, Role, RoleGrant, User
from heng.core.audit import audit_record
from heng.core.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from heng.org.models import OrgUnit
    from heng.people.models import Employee

TOKEN_PREFIX = "heng_"


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    employee: Employee | None = None,
    email: str = "",
    check_password: bool = True,
) -> User:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = _("Username is required.")
    elif User.objects.filter(username=username).exists():
        errors["username"] = _("Username %(u)s is taken.") % {"u": username}
    if employee is not None and User.objects.filter(employee=employee).exists():
        errors["employee"] = _("This employee already has a login.")
    if check_password:
        try:
            # A transient user so the similarity check compares with the username too.
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationFailed(_("The user could not be created."), fields=errors)
    user = User(username=username, email=email, employee=employee)
    if employee is not None:
        user.first_name = employee.name
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def role_grant(
    *, user: User, role: str, unit: OrgUnit | None = None, actor: Any = None
) -> RoleGrant:
    """Give ``user`` a role over ``unit``'s subtree (or company-wide where the role allows)."""
    if role not in Role.values or role == Role.EMPLOYEE:
        raise ValidationFailed(fields={"role": _("Unknown or implicit role: %(r)s.") % {"r": role}})
    if role in SCOPED_ROLES and unit is None:
        raise ValidationFailed(fields={"unit": _("This role needs a unit as its scope.")})
    if role not in COMPANY_WIDE_ROLES | SCOPED_ROLES:
        raise ValidationFailed(fields={"role": _("Unknown role.")})
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        audit_record(
            actor=actor,
            action="role.grant",
            target=grant,
            after={"user": user.username, "role": role, "unit": unit.code if unit else None},
        )
    if role == Role.HR_ADMIN and not user.is_staff:
        user.is_staff = True  # the Django admin is an HR-admin tool
        user.save(update_fields=["is_staff"])
    return grant


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, days: int | None = None, actor: Any = None
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is never stored or shown again."""
    days = days if days is not None else settings.HENG_API_TOKEN_DAYS
    if not name.strip():
        raise ValidationFailed(fields={"name": _("Name is required.")})
    if not 1 <= days <= 3650:
        raise ValidationFailed(fields={"days": _("Validity must be 1 to 3650 days.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=secret[:12],
        digest=_digest(secret),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit_record(
        actor=actor or user,
        action="token.create",
        target=token,
        target_label=f"{user.username}: {token.name} ({token.prefix}…)",
        after={"expires_at": token.expires_at},
    )
    return token, secret


def token_authenticate(secret: str) -> User | None:
    """The active user behind a usable token, else None. Marks the token used."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, user: User, token_id: int, actor: Any = None) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            actor=actor or user,
            action="token.revoke",
            target=token,
            target_label=f"{user.username}: {token.name} ({token.prefix}…)",
        )
    return token

"""Users, role grants (role × scope) and API tokens."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heng.core.models import TimeStampedModel


class Role(models.TextChoices):
    HR_ADMIN = "hr_admin", _("HR admin")
    REGIONAL_HR = "regional_hr", _("Regional HR")
    UNIT_HEAD = "unit_head", _("Unit head / store manager")
    AUDITOR = "auditor", _("Auditor")
    EMPLOYEE = "employee", _("Employee")


# Roles whose grant without a unit means "the whole company".
COMPANY_WIDE_ROLES = {Role.HR_ADMIN, Role.AUDITOR}
# Roles that must name the subtree they cover.
SCOPED_ROLES = {Role.REGIONAL_HR, Role.UNIT_HEAD}


class User(AbstractUser):
    """A login. Most users are employees; the link gives them their own e-file."""

    employee = models.OneToOneField(
        "people.Employee",
        verbose_name=_("employee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
    )
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def employee_units(self) -> list[int | None]:
        """Ids of the linked employee's home and working units (empty without a link)."""
        if self.employee is None:
            return []
        return [self.employee.unit_id, self.employee.working_unit_id]  # type: ignore[attr-defined]


class RoleGrant(TimeStampedModel):
    """``user`` holds ``role`` over the subtree rooted at ``unit`` (or everywhere if empty)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("scope"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_grants",
    )

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="role_grant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit or '*'}"


class ApiToken(TimeStampedModel):
    """A personal access token. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

"""Employee e-file (A3), effective-dated assignments (A5) and contracts (A4 basics).

The employee row carries the *current* home unit, working unit and position as denormalised
fields so that scoped lists stay one indexed query at 100,000 people; the assignment rows are
the history and the source of truth, and only services change either (never both apart).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from heng.core.fields import EncryptedJSONField, EncryptedTextField
from heng.core.models import TimeStampedModel


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left")


class Employee(TimeStampedModel):
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    hire_date = models.DateField(_("hire date"))
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.ACTIVE,
    )
    email = models.EmailField(_("e-mail"), blank=True)
    # Sensitive (A7): encrypted at rest, masked on pages, every reveal audited. The ID number
    # is found and kept unique through its keyed hash; ``id_card_hash`` must follow
    # ``id_card_number`` (the field's pre_save fills it).
    id_card_number = EncryptedTextField(
        _("ID-card number"), blank=True, blind_index_field="id_card_hash"
    )
    id_card_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    bank_account = EncryptedTextField(_("bank account"), blank=True)

    unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("home unit"),
        on_delete=models.PROTECT,
        related_name="home_staff",
    )
    working_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("working unit"),
        on_delete=models.PROTECT,
        related_name="working_staff",
        null=True,
        blank=True,
        help_text=_("Set while dispatched to another unit, e.g. a partner store."),
    )
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        related_name="employees",
        null=True,
        blank=True,
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["employee_no"]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["working_unit"])]
        constraints = [
            models.UniqueConstraint(
                fields=["id_card_hash"],
                condition=~Q(id_card_hash=""),
                name="employee_id_card_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"


class AssignmentReason(models.TextChoices):
    HIRE = "hire", _("Hire")
    TRANSFER = "transfer", _("Transfer")
    PROMOTION = "promotion", _("Promotion")
    DISPATCH = "dispatch", _("Dispatch to another unit")
    RETURN = "return", _("Return from dispatch")
    CORRECTION = "correction", _("Correction")


class Assignment(TimeStampedModel):
    """Where someone belonged from ``start_date`` to ``end_date`` (inclusive; open = current)."""

    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="assignments")
    home_unit = models.ForeignKey(
        "org.OrgUnit", verbose_name=_("home unit"), on_delete=models.PROTECT, related_name="+"
    )
    working_unit = models.ForeignKey(
        "org.OrgUnit",
        verbose_name=_("working unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    position = models.ForeignKey(
        "org.Position",
        verbose_name=_("position"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=AssignmentReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["employee", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_end_not_before_start",
            ),
            models.UniqueConstraint(
                fields=["employee", "start_date"], name="assignment_one_per_start_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.start_date}–{self.end_date or ''}"


class ContractType(models.TextChoices):
    FIXED = "fixed", _("Fixed term")
    OPEN = "open", _("Open-ended")
    PROJECT = "project", _("Project-based")
    INTERN = "intern", _("Internship")


class Contract(TimeStampedModel):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="contracts")
    contract_type = models.CharField(
        _("contract type"), max_length=10, choices=ContractType.choices
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    position = models.ForeignKey(
        "org.Position", verbose_name=_("position"), on_delete=models.PROTECT, null=True, blank=True
    )
    duties = models.TextField(_("duties"), blank=True)
    # Encrypted as a whole (A7): items such as [{"item": "base", "amount": 6000}].
    salary_items = EncryptedJSONField(
        _("salary structure"),
        default=list,
        blank=True,
        help_text=_('Items such as [{"item": "base", "amount": 6000}]'),
    )
    # The end date a reminder was sent for: a changed end date is reminded again.
    expiry_reminded_for = models.DateField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["employee", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_end_not_before_start",
            ),
        ]

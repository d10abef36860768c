"""Org tree (A1) and positions (A2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node

from heng.core.models import TimeStampedModel


class UnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    BRANCH = "branch", _("Branch")
    DEPARTMENT = "department", _("Department")
    STORE = "store", _("Store")
    PARTNER_STORE = "partner_store", _("Partner store")


class OrgUnit(MP_Node, TimeStampedModel):
    """One node of the company tree. Materialized path: a subtree is one prefix query."""

    # 4 chars x 63 levels is far beyond any real org; steplen 4 allows 1.6M siblings.
    steplen = 4
    node_order_by = ["code"]

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    partner_org = models.CharField(
        _("partner organisation"),
        max_length=120,
        blank=True,
        help_text=_("For partner stores: the organisation that owns the store."),
    )
    market_profile = models.JSONField(
        _("market profile"),
        default=dict,
        blank=True,
        help_text=_("Region audience as data: age/gender mix, interests, typical reach."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    @property
    def is_partner(self) -> bool:
        return self.kind == UnitKind.PARTNER_STORE


class Position(TimeStampedModel):
    """A job in the position catalogue, with its duties (岗位职责)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.org.models import OrgUnit, Position, UnitKind


class TransferForm(forms.Form):
    to_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("New unit"),
        queryset=OrgUnit.objects.exclude(kind=UnitKind.PARTNER_STORE).order_by("path"),
    )
    to_position = forms.ModelChoiceField(
        label=_("New position (optional)"), queryset=Position.objects.all(), required=False
    )
    effective_date = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "to_unit_id": data["to_unit"].pk,
            "to_position_id": data["to_position"].pk if data["to_position"] else None,
            "effective_date": data["effective_date"].isoformat(),
        }


class DispatchForm(forms.Form):
    working_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Working unit"), queryset=OrgUnit.objects.order_by("-kind", "path")
    )
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False
    )

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "working_unit_id": data["working_unit"].pk,
            "start_date": data["start_date"].isoformat(),
            "end_date": data["end_date"].isoformat(),
        }


class DecisionForm(forms.Form):
    step = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

"""Forms of the upload wizard, the lineage and the values pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.integrations.fields import FieldSpec


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("UTF-8 or GBK CSV, or .xlsx; the first row holds the column names."),
    )


class MappingForm(forms.Form):
    """One select per field of the source: which file column holds it."""

    def __init__(
        self, *args: Any, fields: list[FieldSpec], columns: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —")), *[(c, c) for c in columns]]
        for spec in fields:
            self.fields[spec.code] = forms.ChoiceField(
                label=spec.label, choices=choices, required=spec.required
            )
            self.fields[spec.code].widget.attrs["data-kind"] = spec.kind


class CommitForm(forms.Form):
    strict = forms.BooleanField(
        label=_("All rows or none: refuse the whole file if any row is invalid"), required=False
    )


def _first_of_month() -> dt.date:
    return dt.date.today().replace(day=1)


class PeriodForm(forms.Form):
    # Browsers' date pickers take ISO dates only, whatever the locale's display format.
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        if data.get("start") and data.get("end") and (data["end"] - data["start"]).days > 3660:
            raise forms.ValidationError(_("Choose a period of at most ten years."))
        return data


class LineageForm(PeriodForm):
    formula = forms.CharField(
        label=_("Formula or metric"), max_length=500, help_text=_("e.g. sum(orders)/sum(views)")
    )
    employee = forms.IntegerField(widget=forms.HiddenInput, required=False)
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ValuesForm(PeriodForm):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None)
    formula = forms.CharField(
        label=_("Extra formula"),
        max_length=500,
        required=False,
        help_text=_("Optional, e.g. sum(orders)/sum(views)*100"),
    )

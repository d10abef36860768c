"""Forms of the upload wizard, the lineage and values pages, and the connector settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.integrations.fields import FieldSpec
from heng.integrations.models import Connector, Source


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


class ConnectorForm(forms.ModelForm):
    """A pull connector's settings: the page and the admin both use this form, and its
    ``clean`` asks the same service check as the API (``connector_clean``), so the three
    refuse the same things with the same words, next to the same fields.

    The auth header's value is never sent back to the browser: left empty it keeps the
    current secret; "remove" clears it."""

    auth_value = forms.CharField(
        label=_("auth header value"),
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_auth_value = forms.BooleanField(label=_("Remove the stored value"), required=False)
    # Text, not URLField: no scheme is guessed; connector_clean insists on http(s).
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("http(s) address; {start} and {end} stand for the dates pulled."),
    )

    class Meta:
        model = Connector
        fields = (
            "source",
            "name",
            "enabled",
            "url",
            "params",
            "auth_header",
            "auth_value",
            "records_path",
            "field_map",
            "pagination",
            "page_param",
            "page_size_param",
            "page_size",
            "cursor_path",
            "cursor_param",
            "max_pages",
            "schedule",
            "window_days",
            "timeout_seconds",
            "max_attempts",
            "backoff_seconds",
        )
        help_texts = {
            "schedule": _(
                'Cron fields: minute hour day month weekday, e.g. "0 2 * * *" (daily 02:00) '
                'or "0 3 * * 1" (Mondays 03:00).'
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.auth_value if self.instance.pk else ""
        self.fields["auth_value"].help_text = (
            _("Stored: %(masked)s. Leave empty to keep it.")
            % {"masked": self.instance.auth_value_masked}
            if current
            else _("e.g. Bearer <token>; never shown again once saved.")
        )
        if self.instance.pk:
            self.fields["source"].disabled = True
        self.fields["source"].queryset = Source.objects.filter(active=True)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        from heng.core.errors import ValidationFailed
        from heng.integrations.services import connector_clean

        data = super().clean() or {}
        if not data.get("auth_value") and not data.get("clear_auth_value"):
            data["auth_value"] = self.instance.auth_value if self.instance.pk else ""
        if data.get("clear_auth_value"):
            data["auth_value"] = ""
        source = data.get("source") or (self.instance.source if self.instance.pk else None)
        if source is None:
            return data
        values = {k: v for k, v in data.items() if k not in ("source", "clear_auth_value")}
        try:
            data.update(connector_clean(source=source, values=values))
        except ValidationFailed as exc:
            for name, message in exc.fields.items():
                if name in self.fields and name not in self.errors:
                    self.add_error(name, message)
                elif name not in self.fields:
                    self.add_error(None, f"{name}: {message}")
        return data

    def settings(self) -> dict[str, Any]:
        """The cleaned values as the services take them (no source, no form-only fields)."""
        return {
            k: v for k, v in self.cleaned_data.items() if k not in ("source", "clear_auth_value")
        }

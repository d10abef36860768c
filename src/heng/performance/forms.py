"""Page forms. They only parse input; every rule is checked by the services, whose field
errors are put back next to the fields (``apply_errors``)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.core.errors import ApplicationError
from heng.performance.models import (
    RULE_CHOICES,
    Category,
    Direction,
    Framework,
    Indicator,
    OverrideAction,
    TargetMethod,
    ValueKind,
)


class JSONObjectField(forms.CharField):
    """A JSON object typed as text, e.g. {"cap": 120}; blank is {} (or None if nullable)."""

    def __init__(self, *, nullable: bool = False, **kwargs: Any) -> None:
        self.nullable = nullable
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": '{"cap": 120}'}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return value

    def to_python(self, value: Any) -> Any:
        text = (value or "").strip()
        if not text:
            return None if self.nullable else {}
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            raise forms.ValidationError(_('Write a JSON object, e.g. {"cap": 120}.')) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError(_('Write a JSON object, e.g. {"cap": 120}.'))
        return parsed


def apply_errors(form: forms.Form, error: ApplicationError) -> None:
    """Show a service refusal on the form: per field where it names one, else on top."""
    placed = False
    for name, message in error.fields.items():
        if name in form.fields:
            form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class IndicatorForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices)
    unit = forms.CharField(label=_("unit of measure"), max_length=20, required=False)
    value_kind = forms.ChoiceField(label=_("value source"), choices=ValueKind.choices)
    source_metric = forms.CharField(label=_("source metric"), max_length=80, required=False)
    formula = forms.CharField(
        label=_("formula"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "sum(orders) / sum(views)"}),
    )
    rule = forms.ChoiceField(label=_("scoring rule"), choices=RULE_CHOICES)
    params = JSONObjectField(label=_("rule parameters"))
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SchemeForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    framework = forms.ModelChoiceField(
        label=_("framework"), queryset=Framework.objects.all(), to_field_name="code"
    )
    units = forms.CharField(label=_("for units (codes, comma separated)"), required=False)
    positions = forms.CharField(label=_("for positions (codes, comma separated)"), required=False)
    combine = forms.BooleanField(
        label=_("only these positions inside these units"),
        required=False,
        help_text=_("Off: everyone in the units, and the positions everywhere."),
    )


class LineForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("indicator"), queryset=Indicator.objects.all(), to_field_name="code"
    )
    weight = forms.DecimalField(label=_("weight"), max_digits=9, decimal_places=4)
    rule = forms.ChoiceField(
        label=_("rule override"), required=False, choices=[("", "—"), *RULE_CHOICES]
    )
    params = JSONObjectField(label=_("parameter override"), nullable=True)
    target_method = forms.ChoiceField(
        label=_("target method"),
        required=False,
        choices=[("", _("automatic")), *TargetMethod.choices],
    )
    target_value = forms.DecimalField(
        label=_("fixed target"), required=False, max_digits=18, decimal_places=4
    )
    source_set = forms.CharField(label=_("indicator set"), max_length=20, initial="main")


class OverrideForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120, required=False)
    unit = forms.CharField(label=_("unit code"), max_length=40, required=False)
    position = forms.CharField(label=_("position code"), max_length=40, required=False)
    employee = forms.CharField(label=_("employee number"), max_length=32, required=False)
    valid_from = forms.DateField(
        label=_("valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    valid_to = forms.DateField(
        label=_("valid to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("note"), required=False)


class ChangeForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("indicator"), queryset=Indicator.objects.all(), to_field_name="code", required=False
    )
    action = forms.ChoiceField(
        label=_("action"), choices=OverrideAction.choices, initial=OverrideAction.SET
    )
    weight = forms.DecimalField(label=_("weight"), required=False, max_digits=9, decimal_places=4)


ChangeFormSet = forms.formset_factory(ChangeForm, extra=4, max_num=40)


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("effective from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


MAX_UPLOAD = 2_000_000


def _small_file(upload: Any) -> Any:
    if upload is not None and upload.size > MAX_UPLOAD:
        raise forms.ValidationError(_("The file is larger than 2 MB."))
    return upload


class UploadForm(forms.Form):
    file = forms.FileField(label=_("file (YAML)"))
    dry_run = forms.BooleanField(label=_("dry run: check only"), required=False, initial=True)
    publish = forms.BooleanField(label=_("publish a new version"), required=False)

    def clean_file(self) -> Any:
        return _small_file(self.cleaned_data.get("file"))


class WhatIfForm(forms.Form):
    file = forms.FileField(label=_("scenario file (YAML)"))
    by = forms.CharField(label=_("distribution by (attribute)"), required=False, max_length=40)

    def clean_file(self) -> Any:
        return _small_file(self.cleaned_data.get("file"))


class ResolveForm(forms.Form):
    employee = forms.CharField(label=_("employee number"), max_length=32, required=False)
    on = forms.DateField(
        label=_("date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

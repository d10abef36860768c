"""Page forms of cycles and calibration. Like ``forms.py`` they only parse input: every rule
(reason required, known units, states …) is checked by the services, whose errors are put
back next to the fields (:func:`place_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.core.errors import ApplicationError
from heng.performance.models import Cadence, LeaverPolicy

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def codes(text: str) -> list[str]:
    """``"SGZ, SFS SBJ"`` → ``["SGZ", "SFS", "SBJ"]`` (commas, 、 or spaces)."""
    return [c for c in text.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if c]


def place_errors(form: forms.Form, error: ApplicationError, aliases: dict[str, str]) -> None:
    """Every field a service names goes next to its form field (``aliases`` maps service
    names to form names); the rest, or the message itself, goes on top of the form."""
    placed = False
    for name, message in error.fields.items():
        target = aliases.get(name, name)
        if target in form.fields and target not in form.errors:
            form.add_error(target, message or error.message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class CycleForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120)
    cadence = forms.ChoiceField(label=_("cadence"), choices=Cadence.choices)
    period_start = forms.DateField(label=_("period start"), widget=DATE)
    period_end = forms.DateField(label=_("period end"), widget=DATE)
    unit_codes = forms.CharField(
        label=_("units (codes, comma separated)"),
        required=False,
        help_text=_("Everyone in these units and below."),
    )
    position_codes = forms.CharField(
        label=_("positions (codes, comma separated)"),
        required=False,
        help_text=_("Both given: only these positions inside these units."),
    )
    leaver_policy = forms.ChoiceField(
        label=_("people who leave"), choices=LeaverPolicy.choices, initial=LeaverPolicy.PRORATE
    )
    review_deadline = forms.DateField(label=_("360 deadline"), required=False, widget=DATE)
    scoring_deadline = forms.DateField(
        label=_("manager scoring deadline"), required=False, widget=DATE
    )
    peer_limit = forms.IntegerField(
        label=_("most peers per person"), min_value=0, max_value=50, initial=5
    )

    # Service field names → form field names.
    ALIASES = {"population": "unit_codes"}

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["unit_codes"] = codes(data.get("unit_codes") or "")
        data["position_codes"] = codes(data.get("position_codes") or "")
        return data


class AdjustForm(forms.Form):
    """New final score and/or rating with a reason; ``employee`` lists the results in scope
    (choices set by the view)."""

    employee = forms.TypedChoiceField(label=_("employee"), coerce=int)
    total = forms.DecimalField(
        label=_("new final score"), required=False, max_digits=12, decimal_places=4
    )
    rating = forms.ChoiceField(label=_("new rating"), required=False)
    # Not required here: the service refuses a blank reason (one message, also for the API).
    reason = forms.CharField(
        label=_("reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self,
        *args: Any,
        people: list[tuple[int, str]],
        bands: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].choices = people  # type: ignore[attr-defined]
        self.fields["rating"].choices = [("", "—"), *bands]  # type: ignore[attr-defined]

"""Page forms for the cascade; they only parse input — the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from heng.goals.models import Cadence, GoalKind, PaceMode, WorkCalendar
from heng.org.models import Position
from heng.performance.models import Indicator


class GoalForm(forms.Form):
    kind = forms.ChoiceField(label=_("Level"), choices=GoalKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    unit = forms.IntegerField(label=_("Unit"), widget=forms.Select)
    parent = forms.IntegerField(label=_("Contributes to"), required=False, widget=forms.Select)
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(
        label=_("Weight among its siblings (empty: equal)"),
        required=False,
        max_digits=6,
        decimal_places=2,
    )
    measure_unit = forms.CharField(label=_("Unit of measure"), max_length=20, required=False)
    start_value = forms.FloatField(label=_("Start value (key results)"), required=False)
    target_value = forms.FloatField(
        label=_("Target (key results; KPIs: per period)"), required=False
    )
    indicator = forms.ModelChoiceField(
        label=_("Indicator (KPIs, measured key results)"),
        queryset=Indicator.objects.order_by("code"),
        required=False,
    )
    position = forms.ModelChoiceField(
        label=_("Assign to everyone holding the position (KPIs)"),
        queryset=Position.objects.order_by("code"),
        required=False,
    )
    cadence = forms.ChoiceField(
        label=_("Target period"), choices=Cadence.choices, initial=Cadence.MONTH
    )
    pace_mode = forms.ChoiceField(
        label=_("Pace"), choices=PaceMode.choices, initial=PaceMode.CUMULATIVE
    )
    alert_threshold = forms.DecimalField(
        label=_("Alert below this share of the pace (e.g. 0.70; empty: default)"),
        required=False,
        max_digits=4,
        decimal_places=2,
    )
    calendar = forms.ModelChoiceField(
        label=_("Working-day calendar"), queryset=WorkCalendar.objects.all(), required=False
    )
    reward_points = forms.IntegerField(
        label=_("Points when completed"), min_value=0, initial=0, required=False
    )

    def __init__(self, *args: Any, units: Any = (), parents: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [(u.pk, u.name) for u in units]
        self.fields["parent"].widget.choices = [
            ("", "—"),
            *((g.pk, f"{g.get_kind_display()} · {g.title}") for g in parents),
        ]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for key in ("unit", "parent", "weight", "kind", "title", "start_date", "end_date"):
            data.pop(key, None)
        data["reward_points"] = data.get("reward_points") or 0
        return {
            k: v
            for k, v in data.items()
            if v not in (None, "") or k in ("description", "measure_unit")
        }


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    number_label = forms.CharField(label=_("Number (label)"), required=False, max_length=40)
    number_value = forms.FloatField(label=_("Number (value)"), required=False)
    value = forms.FloatField(label=_("New value of the key result"), required=False)


class PointsForm(forms.Form):
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1000)
    message = forms.CharField(label=_("For"), max_length=300)

"""Cycle input pages: targets (grid of participants × indicators with an inline htmx form,
file upload with a dry-run preview then commit, template download), the manager entries the
signed-in manager must make, and growth bonus points.

Every write goes through the services in ``services/targets.py``, which check the actor
again; a participant outside the user's reach answers 404 and nothing changes.
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, NotFound
from heng.performance.api.cycles import access_cycle
from heng.performance.api.targets import MAX_FILE, require_some_reach
from heng.performance.models import Cycle, Participant, TargetMethodChoice
from heng.performance.permissions import (
    access_participant_for_edit,
    actor_of,
    participants_editable_by,
    participants_listed_for,
)
from heng.performance.selectors.targets import (
    TEMPLATE_TYPES,
    bonus_entries,
    bonus_totals,
    filter_participants,
    manual_entries,
    paginate,
    target_cell,
    target_columns,
    target_lines,
    target_template,
)
from heng.performance.services.targets import (
    INPUT_STATES,
    BulkReport,
    bonus_add,
    manual_value_set,
    read_target_file,
    target_set,
    targets_bulk_check,
    targets_bulk_write,
    targets_open,
)

# --- forms (they only parse; the services decide) -------------------------------------------


def _number(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=20, decimal_places=6, **kwargs
    )


class TargetForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("method"), choices=TargetMethodChoice.choices)
    value = _number(gettext_lazy("value (fixed)"))
    unit_target = _number(gettext_lazy("unit target (split)"))
    share = _number(gettext_lazy("share % (split; empty = equal share)"))
    growth = _number(gettext_lazy("growth % (baseline)"))
    benchmark = _number(gettext_lazy("benchmark"))
    factor = _number(gettext_lazy("factor (benchmark; empty = 1)"))


class TargetUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("file (CSV or XLSX)"))
    dry_run = forms.BooleanField(
        label=gettext_lazy("dry run: check only"), required=False, initial=True
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_FILE:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


class ManualForm(forms.Form):
    value = forms.DecimalField(label=gettext_lazy("value"), max_digits=20, decimal_places=4)
    comment = forms.CharField(label=gettext_lazy("comment"), required=False, max_length=2000)


class BonusForm(forms.Form):
    employee_no = forms.CharField(label=gettext_lazy("employee no."), max_length=40)
    points = forms.DecimalField(label=gettext_lazy("points"), max_digits=7, decimal_places=2)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=200)


def _refusal(form: forms.Form, error: ApplicationError) -> None:
    """A service refusal next to the field it names (the service's message there), else on
    top of the form."""
    named = [name for name in error.fields if name in form.fields]
    for name in named[:1]:
        form.add_error(name, error.message)
    if not named:
        form.add_error(None, error.message)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- targets ---------------------------------------------------------------------------------

UPLOAD_KEY = "performance:targets-upload:%s"


def _targets_context(request: HttpRequest, cycle: Cycle, **extra: Any) -> dict[str, Any]:
    unit = request.GET.get("unit", "").strip()[:40]
    q = request.GET.get("q", "").strip()[:40]
    rows = filter_participants(
        participants_listed_for(request.user, cycle).select_related("unit"), unit=unit, q=q
    ).order_by("unit_path", "employee_no")
    page = paginate(rows, request.GET.get("page"))
    people = list(page.object_list)
    lines = target_lines(request.user, cycle, people)
    columns = target_columns(cycle, people)
    return {
        "cycle": cycle,
        "page": page,
        "columns": columns,
        "rows": [
            {"line": line, "cells": [line.cells.get(code) for code, _name in columns]}
            for line in lines
        ],
        "open": targets_open(cycle),
        "can_upload": participants_editable_by(request.user, cycle).exists(),
        "upload": TargetUploadForm(),
        "unit": unit,
        "q": q,
        **extra,
    }


@login_required
def targets_page(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    return render(request, "performance/cycles/targets.html", _targets_context(request, cycle))


def _cell_response(
    request: HttpRequest, cycle: Cycle, participant: Participant, indicator: str
) -> HttpResponse:
    cell = target_cell(participant, indicator)
    if cell is None:
        raise NotFound()
    return render(
        request,
        "performance/cycles/_target_cell.html",
        {
            "cycle": cycle,
            "participant": participant,
            "cell": cell,
            "editable": True,
            "open": targets_open(cycle),
        },
    )


@login_required
def target_edit(request: HttpRequest, pk: int, employee_id: int, indicator: str) -> HttpResponse:
    """GET: the inline form (htmx) or a small page; POST: set the target."""
    cycle = access_cycle(request.user, pk)
    participant = access_participant_for_edit(request.user, cycle, employee_id)
    cell = target_cell(participant, indicator)
    if cell is None:
        raise NotFound()
    if request.method == "GET" and request.GET.get("show") == "cell":  # htmx: cancel
        return _cell_response(request, cycle, participant, indicator)
    initial: dict[str, Any] = {"method": TargetMethodChoice.FIXED}
    if cell.target is not None:
        initial = {"method": cell.target.method, **_basis_initial(cell.target)}
    elif cell.line_target is not None:
        initial["value"] = cell.line_target
    form = TargetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target_set(
                actor=actor_of(request),
                participant=participant,
                indicator=indicator,
                method=data["method"],
                **{
                    k: data[k]
                    for k in ("value", "unit_target", "share", "growth", "benchmark", "factor")
                },
            )
        except ApplicationError as exc:
            _refusal(form, exc)
        else:
            if _htmx(request):
                return _cell_response(request, cycle, participant, indicator)
            messages.success(
                request,
                _("Target of %(name)s for %(code)s saved.")
                % {"name": participant.name, "code": indicator},
            )
            return redirect("performance:cycle-targets", pk=cycle.pk)
    context = {
        "cycle": cycle,
        "participant": participant,
        "cell": cell,
        "form": form,
        "open": targets_open(cycle),
    }
    if _htmx(request):  # htmx swaps 2xx only: errors come back as a 200 fragment
        return render(request, "performance/cycles/_target_form.html", context)
    status = 422 if request.method == "POST" else 200
    return render(request, "performance/cycles/target_edit.html", context, status=status)


def _basis_initial(target: Any) -> dict[str, Any]:
    basis = target.basis or {}
    if target.method == TargetMethodChoice.FIXED:
        return {"value": target.value}
    if target.method == TargetMethodChoice.SPLIT:
        out = {"unit_target": basis.get("unit_target")}
        if "split_among" not in basis:
            out["share"] = basis.get("share")
        return out
    if target.method == TargetMethodChoice.BASELINE:
        return {"growth": basis.get("growth")}
    return {"benchmark": basis.get("benchmark"), "factor": basis.get("factor")}


def _stash(request: HttpRequest, cycle: Cycle, data: bytes, name: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    request.session[UPLOAD_KEY % cycle.pk] = {
        "name": name,
        "digest": digest,
        "data": base64.b64encode(data).decode("ascii"),
    }
    return digest


def _upload_page(
    request: HttpRequest,
    cycle: Cycle,
    *,
    form: TargetUploadForm,
    report: BulkReport | None = None,
    digest: str = "",
    filename: str = "",
    status: int = 200,
) -> HttpResponse:
    context = _targets_context(
        request, cycle, upload=form, report=report, digest=digest, filename=filename
    )
    return render(request, "performance/cycles/targets.html", context, status=status)


@login_required
@require_POST
def targets_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A dry run previews every row (value or the reason it is refused) and keeps the file
    for the commit button; without the dry run the file is written at once, all or nothing."""
    cycle = access_cycle(request.user, pk)
    require_some_reach(request.user, cycle)
    form = TargetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, cycle, form=form, status=422)
    upload = form.cleaned_data["file"]
    data, name = upload.read(), upload.name or "targets.csv"
    actor = actor_of(request)
    try:
        read = read_target_file(data, name)
        if form.cleaned_data["dry_run"]:
            report = targets_bulk_check(
                actor=actor, cycle=cycle, rows=read.rows, problems=read.problems
            )
            digest = _stash(request, cycle, data, name) if report.ok else ""
            return _upload_page(
                request, cycle, form=form, report=report, digest=digest, filename=name
            )
        report = targets_bulk_write(
            actor=actor, cycle=cycle, rows=read.rows, problems=read.problems
        )
    except ApplicationError as exc:
        form.add_error("file", exc.message)
        if exc.fields:
            refused = BulkReport(rows=[], problems=dict(exc.fields))
            return _upload_page(request, cycle, form=form, report=refused, status=422)
        return _upload_page(request, cycle, form=form, status=exc.status)
    messages.success(request, _("%(count)s targets saved.") % {"count": len(report.rows)})
    return redirect("performance:cycle-targets", pk=cycle.pk)


@login_required
@require_POST
def targets_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the file checked by the last dry run (checked again: all rows or none)."""
    cycle = access_cycle(request.user, pk)
    require_some_reach(request.user, cycle)
    kept = request.session.get(UPLOAD_KEY % cycle.pk)
    if not kept or kept.get("digest") != request.POST.get("digest"):
        messages.error(request, _("Upload the file again: the checked file is no longer here."))
        return redirect("performance:cycle-targets", pk=cycle.pk)
    data = base64.b64decode(kept["data"])
    form = TargetUploadForm()
    try:
        read = read_target_file(data, kept["name"])
        report = targets_bulk_write(
            actor=actor_of(request), cycle=cycle, rows=read.rows, problems=read.problems
        )
    except ApplicationError as exc:
        refused = BulkReport(rows=[], problems=dict(exc.fields))
        form.add_error(None, exc.message)
        return _upload_page(request, cycle, form=form, report=refused, status=exc.status)
    finally:
        request.session.pop(UPLOAD_KEY % cycle.pk, None)
    messages.success(request, _("%(count)s targets saved.") % {"count": len(report.rows)})
    return redirect("performance:cycle-targets", pk=cycle.pk)


@login_required
def targets_template_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    require_some_reach(request.user, cycle)
    if fmt not in TEMPLATE_TYPES:
        raise NotFound()
    response = HttpResponse(
        target_template(request.user, cycle, fmt), content_type=TEMPLATE_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="targets-{cycle.code}.{fmt}"'
    return response


# --- manager entries -------------------------------------------------------------------------


@login_required
def manual_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The manual indicators the signed-in manager must enter, one form per row."""
    cycle = access_cycle(request.user, pk)
    entries = manual_entries(request.user, cycle)
    missing_only = request.GET.get("missing") == "1"
    missing = sum(1 for e in entries if e.value is None)
    if missing_only:
        entries = [e for e in entries if e.value is None]
    page = paginate(entries, request.GET.get("page"))  # type: ignore[arg-type]
    return render(
        request,
        "performance/cycles/manual.html",
        {
            "cycle": cycle,
            "page": page,
            "entries": page.object_list,
            "open": cycle.state in INPUT_STATES,
            "missing": missing,
            "missing_only": missing_only,
        },
    )


@login_required
@require_POST
def manual_set(request: HttpRequest, pk: int, employee_id: int, indicator: str) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    participant = access_participant_for_edit(request.user, cycle, employee_id)
    form = ManualForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            manual_value_set(
                actor=actor_of(request),
                participant=participant,
                indicator=indicator,
                value=form.cleaned_data["value"],
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as exc:
            error = exc.message
    else:
        error = "; ".join(str(m) for errs in form.errors.values() for m in errs)
    found = [
        e
        for e in manual_entries(request.user, cycle, participants=[participant])
        if e.indicator == indicator
    ]
    if not found:
        raise NotFound()
    if _htmx(request):
        return render(
            request,
            "performance/cycles/_manual_row.html",
            {
                "cycle": cycle,
                "e": found[0],
                "open": True,
                "error": error,
                "saved": not error,
                "posted": request.POST,
            },
        )
    if error:
        messages.error(request, f"{participant.name} {indicator}: {error}")
    else:
        messages.success(
            request, _("Saved: %(name)s %(code)s.") % {"name": participant.name, "code": indicator}
        )
    return redirect(reverse("performance:cycle-manual", args=[cycle.pk]))


# --- bonus points ----------------------------------------------------------------------------


@login_required
def bonus_page(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = access_cycle(request.user, pk)
    editable = participants_editable_by(request.user, cycle)
    form = BonusForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            found = editable.filter(employee_no=data["employee_no"].strip()).first()
            if found is None:  # missing and out of reach read the same
                form.add_error(
                    "employee_no",
                    _("%(no)s is not in this cycle") % {"no": data["employee_no"]},
                )
            else:
                try:
                    participant = access_participant_for_edit(
                        request.user, cycle, found.employee_id
                    )
                    bonus_add(
                        actor=actor_of(request),
                        participant=participant,
                        points=data["points"],
                        reason=data["reason"],
                    )
                except ApplicationError as exc:
                    _refusal(form, exc)
                else:
                    messages.success(
                        request,
                        _("%(points)s bonus points for %(name)s saved.")
                        % {"points": data["points"], "name": participant.name},
                    )
                    return redirect("performance:cycle-bonus", pk=cycle.pk)
    entries = bonus_entries(request.user, cycle)
    page = paginate(entries, request.GET.get("page"))
    cap = (cycle.framework or {}).get("bonus_cap")
    totals = bonus_totals(cycle, list(entries))
    rows = [{"entry": b, **totals.get(b.participant_id, {})} for b in page.object_list]
    return render(
        request,
        "performance/cycles/bonus.html",
        {
            "cycle": cycle,
            "page": page,
            "rows": rows,
            "form": form,
            "cap": None if cap is None else Decimal(str(cap)),
            "open": cycle.state in INPUT_STATES,
            "can_add": editable.exists(),
            "people": list(
                editable.order_by("employee_no").values_list("employee_no", "name")[:500]
            ),
        },
        status=status,
    )

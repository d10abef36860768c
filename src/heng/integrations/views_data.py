"""Pages: metric values for a period (with links to lineage), lineage, connectors (settings,
switching on and off, runs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, NotFound
from heng.integrations.forms import ConnectorForm, LineageForm, ValuesForm
from heng.integrations.models import Connector, ConnectorRun, SubjectKind
from heng.integrations.permissions import (
    access_connector,
    access_source,
    can_configure_connectors,
    can_ingest,
    require_connector_admin,
    require_ingest,
)
from heng.integrations.selectors import lineage_detail, metric_values
from heng.integrations.services import connector_create, connector_update
from heng.org.models import OrgUnit
from heng.org.permissions import access_unit, units_visible_to
from heng.people.permissions import access_employee, employees_visible_to

MAX_SUBJECTS = 2000


def _period(form_data: Any) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return form_data.get("start") or today - dt.timedelta(days=29), form_data.get("end") or today


@login_required
def source_values(request: HttpRequest, code: str) -> HttpResponse:
    """Each metric of the source per person (or unit) for a period; every number links to the
    facts behind it."""
    source = access_source(request.user, code)
    today = timezone.localdate()
    initial = {"start": today - dt.timedelta(days=29), "end": today}
    form = ValuesForm(request.GET or None, initial=initial)
    units = units_visible_to(request.user).order_by("path")
    form.fields["unit"].choices = [  # type: ignore[attr-defined]
        ("", _("All in my scope")),
        *[(u.pk, u.name) for u in units],
    ]
    data = form.cleaned_data if request.GET and form.is_valid() else {}
    start, end = _period(data)
    metrics = list(source.metrics.all())
    formulas = {m.code: f"{source.code}.{m.code}" for m in metrics}
    extra = (data.get("formula") or "").strip()
    if extra:
        formulas["__extra"] = extra
    unit: OrgUnit | None = access_unit(request.user, data["unit"]) if data.get("unit") else None
    if source.subject_kind == SubjectKind.EMPLOYEE:
        people = employees_visible_to(request.user)
        if unit is not None:
            subtree = OrgUnit.objects.filter(path__startswith=unit.path).values("pk")
            people = people.filter(unit_id__in=subtree) | people.filter(working_unit_id__in=subtree)
        names = dict(people.values_list("pk", "name"))
        numbers = dict(people.values_list("pk", "employee_no"))
        scope: dict[str, Any] = {"employee_ids": sorted(names)}
    else:
        visible = units if unit is None else units.filter(path__startswith=unit.path)
        names = dict(visible.values_list("pk", "name"))
        numbers = dict(visible.values_list("pk", "code"))
        scope = {"unit_ids": sorted(names)}
    error = ""
    frame = pl.DataFrame(schema={"subject_id": pl.Int64})
    try:
        long = metric_values(formulas=formulas, period_start=start, period_end=end, **scope)
        if long.height:
            frame = long.pivot(on="key", index="subject_id", values="value").sort("subject_id")
    except ApplicationError as exc:
        error = exc.message
    columns = [(m.code, f"{m.name}", f"{source.code}.{m.code}") for m in metrics]
    if extra and not error:
        columns.append(("__extra", extra, extra))
    rows = []
    for record in frame.head(MAX_SUBJECTS).to_dicts():
        sid = record["subject_id"]
        cells = [(record.get(key), formula) for key, _label, formula in columns]
        rows.append(
            {"id": sid, "name": names.get(sid, sid), "number": numbers.get(sid, ""), "cells": cells}
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    subject_param = "employee" if source.subject_kind == SubjectKind.EMPLOYEE else "unit"
    context = {
        "source": source,
        "form": form,
        "columns": columns,
        "page": page,
        "start": start,
        "end": end,
        "error": error,
        "subject_param": subject_param,
        "query": urlencode({k: str(v) for k, v in request.GET.items() if k != "page"}),
    }
    return render(request, "integrations/values.html", context)


@login_required
def lineage(request: HttpRequest) -> HttpResponse:
    """A value and every fact, source row and batch behind it (D4)."""
    form = LineageForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if request.GET and form.is_valid():
        data = form.cleaned_data
        if data.get("employee"):
            subject: Any = access_employee(request.user, data["employee"])
            filters: dict[str, Any] = {"employee_id": subject.pk}
        elif data.get("unit"):
            subject = access_unit(request.user, data["unit"])
            filters = {"unit_id": subject.pk}
        else:
            raise NotFound()
        try:
            found = lineage_detail(
                formula=data["formula"],
                period_start=data["start"],
                period_end=data["end"],
                **filters,
            )
        except ApplicationError as exc:
            context["error"] = exc.message
        else:
            context.update(found=found, subject=subject, value=found["value"], data=data)
    return render(request, "integrations/lineage.html", context)


@login_required
def connector_detail(request: HttpRequest, connector_id: int) -> HttpResponse:
    connector = access_connector(request.user, connector_id)
    runs = ConnectorRun.objects.filter(connector=connector).select_related("batch")
    page = Paginator(runs, 20).get_page(request.GET.get("page"))
    context = {
        "connector": connector,
        "page": page,
        "can_configure": can_configure_connectors(request.user),
        "can_run": can_ingest(request.user),
    }
    return render(request, "integrations/connector_detail.html", context)


@require_POST
@login_required
def connector_run_now(request: HttpRequest, connector_id: int) -> HttpResponse:
    connector = access_connector(request.user, connector_id)
    require_ingest(request.user)
    from heng.integrations.tasks import run_connector_now

    run_connector_now.enqueue(connector_id=connector.pk)
    messages.info(
        request,
        _("The worker will pull %(name)s now; refresh to see the run.") % {"name": connector.name},
    )
    return redirect("integrations:connector-detail", connector_id=connector.pk)


# --- configuring connectors ----------------------------------------------------------------------
def _connector_page(
    request: HttpRequest, form: ConnectorForm, connector: Connector | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "connector": connector}
    return render(request, "integrations/connector_form.html", context, status=status)


def _save_connector(
    request: HttpRequest, form: ConnectorForm, connector: Connector | None
) -> HttpResponse:
    """Save through the service; a refusal lands next to the field it names."""
    try:
        if connector is None:
            saved = connector_create(source=form.cleaned_data["source"], **form.settings())
        else:
            saved = connector_update(connector=connector, **form.settings())
    except ApplicationError as exc:
        for name, message in exc.fields.items():
            form.add_error(name if name in form.fields else None, message)
        if not exc.fields:
            form.add_error(None, exc.message)
        return _connector_page(request, form, connector, status=422)
    messages.success(request, _("Connector %(name)s saved.") % {"name": saved.name})
    return redirect("integrations:connector-detail", connector_id=saved.pk)


@login_required
def connector_new(request: HttpRequest) -> HttpResponse:
    require_connector_admin(request.user)
    initial: dict[str, Any] = {"schedule": "0 2 * * *", "enabled": True}
    code = request.GET.get("source")
    if code:
        initial["source"] = access_source(request.user, code)
    form = ConnectorForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            return _save_connector(request, form, None)
        return _connector_page(request, form, None, status=422)
    return _connector_page(request, form, None)


@login_required
def connector_edit(request: HttpRequest, connector_id: int) -> HttpResponse:
    connector = access_connector(request.user, connector_id)
    require_connector_admin(request.user)
    form = ConnectorForm(request.POST or None, instance=connector)
    if request.method == "POST":
        if form.is_valid():
            return _save_connector(request, form, connector)
        return _connector_page(request, form, connector, status=422)
    return _connector_page(request, form, connector)


@require_POST
@login_required
def connector_enable(request: HttpRequest, connector_id: int) -> HttpResponse:
    """Switch a connector on (its next run is computed) or off (``enabled=0``)."""
    connector = access_connector(request.user, connector_id)
    require_connector_admin(request.user)
    enabled = request.POST.get("enabled", "1") not in ("0", "false", "")
    try:
        connector = connector_update(connector=connector, enabled=enabled)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s is on: next run %(at)s.")
            % {"name": connector.name, "at": date_format(connector.next_run_at, "Y-m-d H:i")}
            if connector.enabled and connector.next_run_at
            else _("%(name)s is off.") % {"name": connector.name},
        )
    return redirect("integrations:connector-detail", connector_id=connector.pk)

"""Scheme pages: list, create, the editor (lines with a live weight total, overrides,
publish with validation messages, version history) and scheme files."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from heng.org.models import OrgUnit, Position
from heng.performance import services
from heng.performance.documents.model import HUNDRED, decimal_text
from heng.performance.forms import (
    ChangeFormSet,
    LineForm,
    OverrideForm,
    PublishForm,
    SchemeForm,
    UploadForm,
    apply_errors,
)
from heng.performance.models import Scheme
from heng.performance.permissions import (
    access_scheme,
    access_scheme_for_edit,
    actor_of,
    can_create_scheme,
    can_edit_library,
    can_edit_units,
    can_read_policy,
    require_library_editor,
    schemes_visible_to,
)
from heng.performance.selectors.library import framework_list, scheme_search
from heng.performance.views.editor import editor_context, override_changes


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    if not can_read_policy(request.user):
        raise NotFound()
    q = request.GET.get("q", "").strip()[:60]
    schemes = scheme_search(schemes_visible_to(request.user), q=q)
    return render(
        request,
        "performance/scheme_list.html",
        {
            "schemes": schemes,
            "q": q,
            "upload": UploadForm(),
            "can_create": can_create_scheme(request.user),
            "can_import": can_edit_library(request.user),
            "frameworks": framework_list(),
        },
    )


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]


def applies_from_form(data: dict[str, Any]) -> list[tuple[OrgUnit | None, Position | None]]:
    units, positions = [], []
    for code in _codes(data.get("units", "")):
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationFailed(
                _("Unit %(code)s does not exist.") % {"code": code},
                fields={"units": _("Unit %(code)s does not exist.") % {"code": code}},
            )
        units.append(unit)
    for code in _codes(data.get("positions", "")):
        position = Position.objects.filter(code=code).first()
        if position is None:
            raise ValidationFailed(
                _("Position %(code)s does not exist.") % {"code": code},
                fields={"positions": _("Position %(code)s does not exist.") % {"code": code}},
            )
        positions.append(position)
    if data.get("combine") and units and positions:
        return [(u, p) for u in units for p in positions]
    return [(u, None) for u in units] + [(None, p) for p in positions]


@login_required
def scheme_new(request: HttpRequest) -> HttpResponse:
    if not can_read_policy(request.user):
        raise NotFound()
    if not can_create_scheme(request.user):
        raise PermissionDenied()
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applies = applies_from_form(form.cleaned_data)
            if not can_edit_units(request.user, [u for u, _p in applies] or [None]):
                raise ValidationFailed(
                    _("You may only create schemes for units in your scope."),
                    code="permission_denied",
                )
            data = form.cleaned_data
            scheme = services.scheme_create(
                actor=actor_of(request),
                code=data["code"],
                name=data["name"],
                name_en=data["name_en"],
                description=data["description"],
                framework=data["framework"],
                applies_to=applies,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("performance:scheme-edit", code=scheme.code)
    status = 422 if request.method == "POST" else 200
    return render(request, "performance/scheme_new.html", {"form": form}, status=status)


@login_required
def scheme_edit(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme(request.user, code)
    return render(request, "performance/scheme_edit.html", editor_context(request, scheme))


def _again(request: HttpRequest, scheme: Scheme, **forms: Any) -> HttpResponse:
    return render(
        request,
        "performance/scheme_edit.html",
        editor_context(request, scheme, **forms),
        status=422,
    )


@login_required
@require_POST
def scheme_header(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    form = SchemeForm(request.POST)
    form.fields["code"].required = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            applies = applies_from_form(data)
            if not can_edit_units(request.user, [u for u, _p in applies] or [None]):
                raise ValidationFailed(
                    _("You may only assign schemes to units in your scope."),
                    code="permission_denied",
                )
            services.scheme_update(
                actor=actor_of(request),
                scheme=scheme,
                name=data["name"],
                name_en=data["name_en"],
                description=data["description"],
                framework=data["framework"],
                applies_to=applies,
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Scheme saved as a draft."))
            return redirect("performance:scheme-edit", code=code)
    return _again(request, scheme, header_form=form)


def _posted_weights(request: HttpRequest, scheme: Scheme) -> dict[str, Decimal | None]:
    weights: dict[str, Decimal | None] = {}
    for line in scheme.lines.select_related("indicator"):
        raw = request.POST.get(f"w-{line.indicator.code}", "").strip()
        try:
            weights[line.indicator.code] = Decimal(raw) if raw else None
        except InvalidOperation:
            weights[line.indicator.code] = None
    return weights


@login_required
@require_POST
def weights_total(request: HttpRequest, code: str) -> HttpResponse:
    """htmx: the total of the weights as typed (nothing saved), red unless exactly 100."""
    scheme = access_scheme(request.user, code)
    weights = _posted_weights(request, scheme)
    complete = all(w is not None and w.is_finite() for w in weights.values())
    total = sum((w for w in weights.values() if w is not None and w.is_finite()), Decimal(0))
    return render(
        request,
        "performance/_weight_total.html",
        {"total_text": decimal_text(total), "ok": complete and total == HUNDRED},
    )


@login_required
@require_POST
def weights_save(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    try:
        services.scheme_weights_set(
            actor=actor_of(request),
            scheme=scheme,
            weights=_posted_weights(request, scheme),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _again(request, scheme, weight_errors=exc.fields)
    messages.success(request, _("Weights saved as a draft."))
    return redirect("performance:scheme-edit", code=code)


@login_required
@require_POST
def line_add(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    form = LineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        existing = (
            scheme.lines.select_related("indicator", "scheme")
            .filter(indicator=data["indicator"])
            .first()
        )
        try:
            if existing is None:
                services.scheme_line_add(
                    actor=actor_of(request),
                    scheme=scheme,
                    indicator=data["indicator"],
                    weight=data["weight"],
                    rule=data["rule"],
                    params=data["params"],
                    target_method=data["target_method"] or None,
                    target_value=data["target_value"],
                    source_set=data["source_set"],
                )
            else:  # the same form changes a line that is already there
                services.scheme_line_update(
                    actor=actor_of(request),
                    line=existing,
                    weight=data["weight"],
                    rule=data["rule"],
                    params=data["params"],
                    target_method=data["target_method"] or existing.target_method,
                    target_value=data["target_value"],
                    source_set=data["source_set"],
                )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Line saved."))
            return redirect("performance:scheme-edit", code=code)
    return _again(request, scheme, line_form=form)


@login_required
@require_POST
def line_remove(request: HttpRequest, code: str, indicator: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    line = scheme.lines.filter(indicator__code=indicator).first()
    if line is None:
        raise NotFound()
    services.scheme_line_remove(actor=actor_of(request), line=line)
    messages.success(request, _("Line %(code)s removed.") % {"code": indicator})
    return redirect("performance:scheme-edit", code=code)


@login_required
@require_POST
def override_add(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    form = OverrideForm(request.POST)
    changes = ChangeFormSet(request.POST, prefix="ch")
    if form.is_valid() and changes.is_valid():
        try:
            override_changes(request, scheme, form.cleaned_data, changes)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Override %(code)s saved.") % {"code": form.cleaned_data["code"]}
            )
            return redirect("performance:scheme-edit", code=code)
    return _again(request, scheme, override_form=form, change_formset=changes)


@login_required
@require_POST
def override_remove(request: HttpRequest, code: str, override: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    found = scheme.overrides.filter(code=override).first()
    if found is None:
        raise NotFound()
    services.override_delete(actor=actor_of(request), override=found)
    messages.success(request, _("Override %(code)s removed.") % {"code": override})
    return redirect("performance:scheme-edit", code=code)


@login_required
@require_POST
def publish(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme_for_edit(request.user, code)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = services.scheme_publish(
                actor=actor_of(request),
                scheme=scheme,
                effective_from=form.cleaned_data["effective_from"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            return _again(request, scheme, publish_form=form, publish_error=exc)
        messages.success(
            request,
            _("Version %(number)s published, in effect from %(date)s.")
            % {"number": version.number, "date": version.effective_from},
        )
        return redirect("performance:scheme-edit", code=code)
    return _again(request, scheme, publish_form=form)


@login_required
def scheme_file(request: HttpRequest, code: str) -> HttpResponse:
    scheme = access_scheme(request.user, code)
    version = request.GET.get("version")
    number = int(version) if version and version.isdigit() else None
    if number is not None and not scheme.versions.filter(number=number).exists():
        raise NotFound()
    text = services.scheme_file_export(scheme, version=number)
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    suffix = f"-v{number}" if number is not None else ""
    response["Content-Disposition"] = f'attachment; filename="{scheme.code}{suffix}.yaml"'
    return response


@login_required
@require_POST
def scheme_import(request: HttpRequest) -> HttpResponse:
    require_library_editor(request.user)
    form = UploadForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
            report = services.scheme_file_import(
                actor=actor_of(request),
                text=text,
                dry_run=form.cleaned_data["dry_run"],
                publish=form.cleaned_data["publish"],
            )
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except ApplicationError as exc:
            form.add_error("file", exc.message)
            for key, reason in list(exc.fields.items())[1:20]:
                form.add_error(None, f"{key}: {reason}")
    schemes = scheme_search(schemes_visible_to(request.user))
    status = 200 if report is not None else 422
    return render(
        request,
        "performance/scheme_list.html",
        {
            "schemes": schemes,
            "upload": form,
            "report": report,
            "can_create": can_create_scheme(request.user),
            "can_import": True,
        },
        status=status,
    )

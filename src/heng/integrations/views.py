"""Pages: sources, templates, the upload wizard (upload → map → preview → commit), batches and
their quarantine. Scoped reads and the same services as the API; no domain logic here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from heng.core.errors import ApplicationError, NotFound, ValidationFailed
from heng.integrations.conf import background_commit_rows, max_upload_bytes
from heng.integrations.errors import reasons_text
from heng.integrations.fields import source_fields
from heng.integrations.files import check_size
from heng.integrations.forms import CommitForm, MappingForm, UploadForm
from heng.integrations.models import Batch
from heng.integrations.permissions import (
    access_batch,
    access_source,
    batches_visible_to,
    can_configure_connectors,
    can_ingest,
    can_view,
    connectors_visible_to,
    require_ingest,
    sources_visible_to,
)
from heng.integrations.selectors import (
    quarantine_csv,
    quarantine_for,
    template_csv,
    template_xlsx,
)
from heng.integrations.services import (
    batch_commit,
    batch_map,
    batch_preview,
    batch_queue,
    batch_revoke,
    batch_stage_upload,
)


def _viewer(request: HttpRequest) -> None:
    if not can_view(request.user):
        raise NotFound()


def _errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"row": e["row"], "message": reasons_text(e["reasons"]), "raw": e.get("raw", {})}
        for e in (report or {}).get("errors", [])
    ]


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    context = {
        "sources": sources_visible_to(request.user).prefetch_related("metrics"),
        "batches": batches_visible_to(request.user).select_related("source")[:15],
        "connectors": connectors_visible_to(request.user).select_related("source"),
        "can_ingest": can_ingest(request.user),
        "can_configure": can_configure_connectors(request.user),
    }
    return render(request, "integrations/source_list.html", context)


@login_required
def source_detail(request: HttpRequest, code: str) -> HttpResponse:
    source = access_source(request.user, code)
    batches = batches_visible_to(request.user).filter(source=source).select_related("actor")
    page = Paginator(batches, 20).get_page(request.GET.get("page"))
    context = {
        "source": source,
        "metrics": source.metrics.all(),
        "fields": source_fields(source),
        "page": page,
        "connectors": source.connectors.all(),
        "can_ingest": can_ingest(request.user),
        "can_configure": can_configure_connectors(request.user),
    }
    return render(request, "integrations/source_detail.html", context)


@login_required
def template_download(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    source = access_source(request.user, code)
    if kind == "xlsx":
        response = HttpResponse(
            template_xlsx(source),
            content_type=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    else:
        response = HttpResponse(template_csv(source), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{source.code}-template.{kind}"'
    return response


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit (no 2 GB temp file)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit, self.seen, self.exceeded = limit, 0, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.seen += len(raw_data)
        if self.seen > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt
@login_required
def upload(request: HttpRequest, code: str) -> HttpResponse:
    """Refuse an oversized upload before Django spools it to disk, then check CSRF as usual."""
    source = access_source(request.user, code)
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        limit = max_upload_bytes()
        if length > limit + 64 * 1024:
            try:
                check_size(length)
            except ValidationFailed as exc:
                return _upload_page(request, source, UploadForm(), exc.message, status=413)
        handler = _SizeLimit(request, limit)
        request.upload_handlers.insert(0, handler)
        return _upload(request, source, handler)
    return _upload(request, source, None)


def _upload_page(
    request: HttpRequest, source: Any, form: UploadForm, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "source": source,
        "form": form,
        "error": error,
        "limit": max_upload_bytes(),
        "fields": source_fields(source),
    }
    return render(request, "integrations/upload.html", context, status=status)


@csrf_protect
def _upload(request: HttpRequest, source: Any, handler: _SizeLimit | None) -> HttpResponse:
    require_ingest(request.user)
    if request.method != "POST":
        return _upload_page(request, source, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if handler is not None and handler.exceeded:
        try:
            check_size(handler.seen)
        except ValidationFailed as exc:
            return _upload_page(request, source, UploadForm(), exc.message, status=413)
    if not form.is_valid():
        return _upload_page(request, source, form)
    upload_file = form.cleaned_data["file"]
    try:
        batch = batch_stage_upload(
            source=source,
            file=upload_file,
            filename=upload_file.name,
            actor=request.user,  # type: ignore[arg-type]
        )
    except ValidationFailed as exc:
        return _upload_page(request, source, form, exc.message, status=422)
    return redirect("integrations:batch-map", batch_id=batch.pk)


@login_required
def batch_map_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    require_ingest(request.user)
    fields = source_fields(batch.source)
    form = MappingForm(
        request.POST or None, fields=fields, columns=batch.columns, initial=batch.mapping
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            batch_map(batch=batch, mapping=form.cleaned_data, actor=request.user)  # type: ignore[arg-type]
            batch_preview(batch=batch, actor=request.user)  # type: ignore[arg-type]
            return redirect("integrations:batch-detail", batch_id=batch.pk)
        except ApplicationError as exc:
            error = exc.message
            for field, message in exc.fields.items():
                if field in form.fields:
                    form.add_error(field, message)
    context = {
        "batch": batch,
        "form": form,
        "error": error,
        "sample": _sample(batch),
        "warnings": (batch.report or {}).get("warnings", []),
    }
    return render(request, "integrations/batch_map.html", context)


def _sample(batch: Batch) -> list[list[Any]]:
    """The first rows of the file, so the user sees what each column holds."""
    from heng.integrations.services import load_payload

    try:
        table = load_payload(batch)
    except (ApplicationError, OSError):
        return []
    return [list(r) for r in table.frame.select(table.columns).head(5).iter_rows()]


@login_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    context = {
        "batch": batch,
        "errors": _errors(batch.report),
        "report": batch.report or {},
        "commit_form": CommitForm(),
        "can_ingest": can_ingest(request.user),
        "unresolved": quarantine_for(batch, unresolved_only=True).count(),
        "preview_facts": (batch.report or {}).get("preview_facts", []),
    }
    template = (
        "integrations/_batch_status.html"
        if getattr(request, "htmx", False)
        else "integrations/batch_detail.html"
    )
    return render(request, template, context)


@require_POST
@login_required
def batch_commit_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    require_ingest(request.user)
    form = CommitForm(request.POST)
    strict = form.is_valid() and bool(form.cleaned_data.get("strict"))
    if batch.received > background_commit_rows():
        from heng.integrations.tasks import commit_batch

        if strict != batch.strict:
            Batch.objects.filter(pk=batch.pk).update(strict=strict)
        batch_queue(batch=batch)
        commit_batch.enqueue(batch_id=batch.pk)
        messages.info(request, _("The file is large: the background worker is committing it."))
        return redirect("integrations:batch-detail", batch_id=batch.pk)
    try:
        batch = batch_commit(batch_id=batch.pk, strict=strict)
        messages.success(
            request,
            _("Committed: %(n)s rows, %(facts)s values.")
            % {"n": batch.committed, "facts": batch.facts},
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("integrations:batch-detail", batch_id=batch.pk)


@require_POST
@login_required
def batch_revoke_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    batch_revoke(batch=batch, actor=request.user)  # type: ignore[arg-type]
    messages.success(
        request, _("Batch #%(id)s revoked: its values no longer count.") % {"id": batch.pk}
    )
    return redirect("integrations:batch-detail", batch_id=batch.pk)


@login_required
def quarantine_list(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    unresolved = request.GET.get("all") != "1"
    rows = quarantine_for(batch, unresolved_only=unresolved).select_related("resolved_by")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for row in page:
        row.message = reasons_text(row.reasons)  # type: ignore[attr-defined]
    return render(
        request,
        "integrations/quarantine.html",
        {"batch": batch, "page": page, "unresolved": unresolved},
    )


@login_required
def quarantine_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access_batch(request.user, batch_id)
    response = HttpResponse(quarantine_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{batch.source.code}-batch{batch.pk}-quarantine.csv"'
    )
    return response

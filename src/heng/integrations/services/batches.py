"""Batches: stage an upload, map and preview it, commit it; push rows; revoke a delivery.

Every way in ends in :func:`_process` + :func:`_write` inside one transaction that also locks
the source, so a batch is committed whole (facts, quarantined rows, counts, status) or not at
all, and two deliveries of one source never race on the duplicate check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.accounts.models import User
from heng.accounts.scope import scope_for
from heng.core.errors import ApplicationError, Conflict, ValidationFailed
from heng.core.hooks import batch_committed
from heng.integrations.cleaning import QUARANTINE_ID, Cleaned, clean
from heng.integrations.conf import max_quarantine_rows
from heng.integrations.errors import (
    AlreadyCommitted,
    BatchRefused,
    IdempotencyKeyReused,
    reasons_text,
)
from heng.integrations.fields import guess_mapping, mapping_problems, source_fields, source_spec
from heng.integrations.files import ROW, Table, check_size, read_table
from heng.integrations.models import (
    Batch,
    BatchStatus,
    BatchVia,
    Fact,
    QuarantinedRow,
    Source,
    SubjectKind,
)
from heng.integrations.permissions import require_ingest
from heng.integrations.writers import existing_keys, facts_write
from heng.org.models import OrgUnit
from heng.org.permissions import units_visible_to
from heng.people.models import Employee
from heng.people.permissions import employees_visible_to

log = logging.getLogger(__name__)
ERROR_SAMPLE = 200
FILE_VIAS = (BatchVia.UPLOAD, BatchVia.CLI)


@dataclass(frozen=True)
class Outcome:
    batch: Batch
    replayed: bool = False


# --- reading a batch's rows -------------------------------------------------------------------
def load_payload(batch: Batch) -> Table:
    """The batch's rows from its stored payload (the uploaded file, or pushed rows as CSV)."""
    path = Path(batch.file.path)
    if batch.via in FILE_VIAS:
        return read_table(path, filename=batch.filename)
    frame = pl.read_csv(path, infer_schema=False).with_columns(pl.col(ROW).cast(pl.Int64))
    return Table(frame=frame, columns=[c for c in frame.columns if c != ROW], encoding="utf-8")


def mapped_frame(table: Table, mapping: dict[str, str]) -> pl.DataFrame:
    columns = [pl.col(ROW)]
    for field, column in mapping.items():
        if column:
            columns.append(pl.col(column).alias(field))
    if QUARANTINE_ID in table.columns and QUARANTINE_ID not in mapping:
        columns.append(pl.col(QUARANTINE_ID))
    return table.frame.select(columns)


def _subjects(source: Source, actor: User | None) -> pl.DataFrame:
    """Key → id of every employee (or unit) the actor may feed data about."""
    if source.subject_kind == SubjectKind.EMPLOYEE:
        people = Employee.objects.all() if actor is None else employees_visible_to(actor)
        pairs = list(people.values_list("employee_no", "id"))
    else:
        units = OrgUnit.objects.all() if actor is None else units_visible_to(actor)
        pairs = list(units.values_list("code", "id"))
    return pl.DataFrame(
        {"key": [p[0] for p in pairs], "subject_id": [p[1] for p in pairs]},
        schema={"key": pl.Utf8, "subject_id": pl.Int64},
    )


def _process(source: Source, table: Table, mapping: dict[str, str], actor: User | None) -> Cleaned:
    problems = mapping_problems(source, table.columns, mapping)
    if problems:
        raise ValidationFailed(
            _("The column mapping is incomplete."), code="mapping_incomplete", fields=problems
        )
    metric_ids = list(source.metrics.values_list("pk", flat=True))
    return clean(
        mapped_frame(table, mapping),
        source_spec(source),
        subjects=_subjects(source, actor),
        existing_keys=existing_keys(metric_ids),  # type: ignore[arg-type]
        today=timezone.localdate(),
    )


def _report(cleaned: Cleaned, table: Table, mapping: dict[str, str]) -> dict[str, Any]:
    sample = cleaned.quarantine.head(ERROR_SAMPLE)
    raw = {
        r.pop(ROW): r for r in table.frame.join(sample.select(ROW), on=ROW, how="semi").to_dicts()
    }
    used = set(mapping.values())
    return {
        "encoding": table.encoding,
        "warnings": table.warnings,
        "ignored_columns": [c for c in table.columns if c not in used and c != QUARANTINE_ID],
        "errors": [
            {"row": r[ROW], "reasons": r["reasons"], "raw": raw.get(r[ROW], {})}
            for r in sample.to_dicts()
        ],
        "resolved": len(cleaned.resolved),
        "duplicate_rows": cleaned.duplicate_rows.head(ERROR_SAMPLE).rename({ROW: "row"}).to_dicts(),
    }


def _counts(batch: Batch, cleaned: Cleaned) -> None:
    batch.received = cleaned.received
    batch.test_rows = cleaned.test_rows
    batch.duplicates = cleaned.duplicates
    batch.quarantined = cleaned.quarantined
    batch.committed = cleaned.committed
    batch.period_start, batch.period_end = cleaned.period


def refusal_fields(report: dict[str, Any], limit: int = 20) -> dict[str, str]:
    """The first bad rows as error fields: {"row 7": "no employee with number …"}."""
    return {
        f"row {e['row']}": reasons_text(e["reasons"]) for e in (report.get("errors") or [])[:limit]
    }


def _refusal(batch: Batch, cleaned: Cleaned) -> BatchRefused | None:
    if cleaned.received == 0:
        return BatchRefused(_("The batch has no rows."), code="empty_batch")
    if batch.strict and cleaned.quarantined:
        return BatchRefused(
            _(
                "%(n)s of %(total)s rows are invalid and the batch was sent as all-or-nothing: "
                "nothing was written."
            )
            % {"n": cleaned.quarantined, "total": cleaned.received},
            fields=refusal_fields(batch.report),
        )
    if cleaned.quarantined > max_quarantine_rows():
        return BatchRefused(
            _(
                "%(n)s rows are invalid, more than the %(limit)s a batch may quarantine: this "
                "looks like the wrong file or the wrong column mapping. Nothing was written."
            )
            % {"n": cleaned.quarantined, "limit": max_quarantine_rows()},
            fields=refusal_fields(batch.report),
        )
    return None


def _write(batch: Batch, cleaned: Cleaned, table: Table) -> None:
    batch.facts = facts_write(
        cleaned.facts, batch_id=batch.pk, subject_kind=batch.source.subject_kind
    )
    if cleaned.quarantined:
        raw = table.frame.join(cleaned.quarantine, on=ROW, how="inner").sort(ROW)
        QuarantinedRow.objects.bulk_create(
            (
                QuarantinedRow(batch=batch, row_no=r.pop(ROW), reasons=r.pop("reasons"), raw=r)
                for r in raw.iter_rows(named=True)
            ),
            batch_size=2000,
        )
    if cleaned.resolved:
        QuarantinedRow.objects.filter(
            pk__in=cleaned.resolved,
            batch__source_id=batch.source_id,
            resolved_by__isnull=True,
        ).update(resolved_by=batch)
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = timezone.now()
    batch.error = ""
    batch.save()
    transaction.on_commit(lambda: _announce(batch))


def _announce(batch: Batch) -> None:
    """Tell the apps above (goals: the pace check) once the facts are visible to everyone."""
    for receiver, outcome in batch_committed.send_robust(
        sender=Batch,
        batch_id=batch.pk,
        source_id=batch.source_id,
        committed_at=batch.committed_at,
    ):
        if isinstance(outcome, Exception):
            log.error("after batch %s: %r failed: %s", batch.pk, receiver, outcome)


def _lock_source(source_id: int) -> None:
    # Serialises deliveries of one source (no-op on SQLite, whose writes are serial anyway).
    list(Source.objects.select_for_update().filter(pk=source_id).values_list("pk"))


# --- uploads: stage → map → preview → commit -------------------------------------------------
def batch_stage_upload(
    *, source: Source, file: File, filename: str, actor: User | None, via: str = BatchVia.UPLOAD
) -> Batch:
    """Keep the file and read its columns; the rows are checked by preview and commit."""
    if actor is not None:
        require_ingest(actor)
    check_size(file.size or 0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    batch = Batch(
        source=source,
        via=via,
        actor=actor,
        filename=Path(filename).name[:255],
        file_size=file.size or 0,
        payload_hash=digest.hexdigest(),
    )
    batch.file.save(Path(filename).name or "upload", file, save=False)
    try:
        table = read_table(Path(batch.file.path), filename=filename)
    except ApplicationError:
        batch.file.delete(save=False)
        raise
    batch.columns = table.columns
    batch.mapping = guess_mapping(source, table.columns)
    batch.report = {
        "encoding": table.encoding,
        "warnings": table.warnings,
        "rows": table.frame.height,
    }
    batch.save()
    return batch


@transaction.atomic
def batch_map(*, batch: Batch, mapping: dict[str, str], actor: User | None) -> Batch:
    """Set the column mapping and remember it for the source's next upload."""
    if actor is not None:
        require_ingest(actor)
    if batch.status not in (BatchStatus.STAGED, BatchStatus.FAILED):
        raise Conflict(
            _("This batch is %(status)s and cannot be changed.")
            % {"status": batch.get_status_display()},
            code="batch_not_staged",
        )
    known = {f.code for f in source_fields(batch.source)}
    mapping = {k: v for k, v in mapping.items() if k in known and v}
    problems = mapping_problems(batch.source, batch.columns, mapping)
    if problems:
        raise ValidationFailed(
            _("The column mapping is incomplete."), code="mapping_incomplete", fields=problems
        )
    batch.mapping = mapping
    batch.save(update_fields=["mapping", "updated_at"])
    source = batch.source
    source.column_mapping = {**(source.column_mapping or {}), **mapping}
    source.save(update_fields=["column_mapping", "updated_at"])
    return batch


def batch_preview(*, batch: Batch, actor: User | None) -> Batch:
    """Dry run: clean every row and report what a commit would do. Writes no facts."""
    table = load_payload(batch)
    cleaned = _process(batch.source, table, batch.mapping, actor if actor else batch.actor)
    _counts(batch, cleaned)
    batch.facts = cleaned.facts.height
    codes = dict(batch.source.metrics.values_list("pk", "code"))
    batch.report = {
        **_report(cleaned, table, batch.mapping),
        "previewed": True,
        "preview_facts": cleaned.facts.head(20)
        .with_columns(
            pl.col("date").cast(pl.Utf8),
            pl.col("metric_id").replace_strict(codes, default="?", return_dtype=pl.Utf8),
        )
        .to_dicts(),
    }
    batch.save()
    return batch


def batch_queue(*, batch: Batch) -> Batch:
    """Mark a staged batch as handed to the background worker."""
    updated = Batch.objects.filter(
        pk=batch.pk, status__in=[BatchStatus.STAGED, BatchStatus.FAILED]
    ).update(status=BatchStatus.QUEUED)
    batch.refresh_from_db()
    if not updated and batch.status != BatchStatus.QUEUED:
        raise Conflict(
            _("This batch is %(status)s.") % {"status": batch.get_status_display()},
            code="batch_not_staged",
        )
    return batch


def batch_commit(*, batch_id: int, strict: bool | None = None) -> Batch:
    """Commit a staged upload all-or-nothing. Committing it again returns it unchanged."""
    batch: Batch | None = None
    try:
        with transaction.atomic():
            batch = (
                Batch.objects.select_for_update(of=("self",))
                .select_related("source", "actor")
                .get(pk=batch_id)
            )
            if batch.status == BatchStatus.COMMITTED:
                return batch
            if batch.status not in (BatchStatus.STAGED, BatchStatus.QUEUED, BatchStatus.FAILED):
                raise Conflict(
                    _("This batch is %(status)s and cannot be committed.")
                    % {"status": batch.get_status_display()},
                    code="batch_not_staged",
                )
            _lock_source(batch.source_id)
            twin = Batch.objects.filter(
                source_id=batch.source_id,
                status=BatchStatus.COMMITTED,
                payload_hash=batch.payload_hash,
            ).exclude(pk=batch.pk)
            if batch.payload_hash and twin.exists():
                raise AlreadyCommitted(
                    _("This exact file was already committed as batch #%(id)s.")
                    % {"id": twin.values_list("pk", flat=True)[0]}
                )
            if strict is not None:
                batch.strict = strict
            table = load_payload(batch)
            cleaned = _process(batch.source, table, batch.mapping, batch.actor)
            _counts(batch, cleaned)
            batch.report = _report(cleaned, table, batch.mapping)
            refusal = _refusal(batch, cleaned)
            if refusal is not None:
                raise refusal
            _write(batch, cleaned, table)
            return batch
    except BatchRefused as exc:
        _mark(batch_id, BatchStatus.REFUSED, exc.message, batch)
        raise
    except ApplicationError:
        raise
    except Exception as exc:
        log.exception("batch %s failed", batch_id)
        _mark(batch_id, BatchStatus.FAILED, f"{type(exc).__name__}: {exc}", None)
        raise


def _mark(batch_id: int, status: str, error: str, batch: Batch | None) -> None:
    """Record a refusal or failure after the rollback (so the page can say what happened)."""
    values: dict[str, Any] = {"status": status, "error": error[:2000], "updated_at": timezone.now()}
    if batch is not None:
        values.update(
            received=batch.received,
            test_rows=batch.test_rows,
            duplicates=batch.duplicates,
            quarantined=batch.quarantined,
            committed=0,
            facts=0,
            report=batch.report,
        )
    Batch.objects.filter(pk=batch_id).exclude(status=BatchStatus.COMMITTED).update(**values)


# --- pushed rows (API, connectors, demo) ------------------------------------------------------
def payload_hash(records: Any) -> str:
    return hashlib.sha256(
        json.dumps(records, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def batch_ingest(
    *,
    source: Source,
    table: Table,
    via: str,
    actor: User | None,
    idempotency_key: str | None = None,
    strict: bool = False,
    content_hash: str = "",
    filename: str = "",
) -> Outcome:
    """Clean and commit rows in one go. With an idempotency key, sending the same batch again
    returns the first outcome and writes nothing; the same key with other rows is refused."""
    if actor is not None:
        require_ingest(actor)
    if idempotency_key:
        first = Batch.objects.filter(source=source, idempotency_key=idempotency_key).first()
        if first is not None:
            return _replay(first, content_hash)
    mapping = {c: c for c in table.columns if c != QUARANTINE_ID}
    known = {f.code for f in source_fields(source)}
    mapping = {k: v for k, v in mapping.items() if k in known}
    payload = ContentFile(table.frame.write_csv().encode(), name=f"{source.code}.csv")
    batch = Batch(
        source=source,
        via=via,
        actor=actor,
        idempotency_key=idempotency_key or None,
        payload_hash=content_hash,
        strict=strict,
        filename=filename[:255],
        columns=table.columns,
        mapping=mapping,
        file_size=payload.size,
    )
    try:
        with transaction.atomic():
            _lock_source(source.pk)
            batch.file.save(payload.name or "rows.csv", payload, save=False)
            batch.save()
            cleaned = _process(source, table, mapping, actor)
            _counts(batch, cleaned)
            batch.report = _report(cleaned, table, mapping)
            refusal = _refusal(batch, cleaned)
            if refusal is not None:
                raise refusal
            _write(batch, cleaned, table)
            return Outcome(batch)
    except IntegrityError:
        # Another request with the same key won the race: answer with its outcome.
        first = Batch.objects.filter(source=source, idempotency_key=idempotency_key).first()
        if idempotency_key and first is not None:
            return _replay(first, content_hash)
        raise
    except BatchRefused as exc:
        if idempotency_key:
            # Recorded (without rows) so that a retry gets the same refusal.
            Batch.objects.create(
                source=source,
                via=via,
                actor=actor,
                idempotency_key=idempotency_key,
                payload_hash=content_hash,
                strict=strict,
                status=BatchStatus.REFUSED,
                error=exc.message,
                received=batch.received,
                test_rows=batch.test_rows,
                duplicates=batch.duplicates,
                quarantined=batch.quarantined,
                report=batch.report,
                columns=batch.columns,
                filename=batch.filename,
            )
        raise


def _replay(first: Batch, content_hash: str) -> Outcome:
    if content_hash and first.payload_hash and first.payload_hash != content_hash:
        raise IdempotencyKeyReused(
            _(
                "The idempotency key %(key)s was already used for different rows (batch #%(id)s). "
                "Use a new key for a new batch."
            )
            % {"key": first.idempotency_key, "id": first.pk},
            fields={"Idempotency-Key": str(first.idempotency_key)},
        )
    if first.status == BatchStatus.REFUSED:
        raise BatchRefused(first.error, fields=refusal_fields(first.report))
    return Outcome(first, replayed=True)


@transaction.atomic
def batch_revoke(*, batch: Batch, actor: User | None) -> Batch:
    """Withdraw a committed delivery: its facts go, its record and quarantine stay. The same
    rows may then be sent again (their natural keys are free)."""
    if actor is not None:
        require_ingest(actor)
        if not scope_for(actor).company_wide and batch.actor_id != actor.pk:
            raise Conflict(
                _("Only HR admins can revoke batches delivered by others."), code="not_your_batch"
            )
    locked = Batch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.COMMITTED:
        raise Conflict(_("Only a committed batch can be revoked."), code="batch_not_committed")
    Fact.objects.filter(batch_id=locked.pk).delete()
    locked.status = BatchStatus.REVOKED
    locked.report = {
        **locked.report,
        "revoked_by": getattr(actor, "username", None),
        "revoked_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    locked.save()
    return locked

"""Whole-database backup and restore, portable between SQLite and PostgreSQL.

A backup is a zip: ``manifest.json`` plus one JSON-lines file per table, rows in primary-key
order, values in a canonical engine-neutral form (ISO dates, decimal strings, sorted JSON keys).
Encrypted columns are copied as ciphertext, never decrypted: the backup is as protected as the
database, and restoring needs the same key ring (keys are backed up separately, never in here).
The manifest records each table's row count and SHA-256 over its lines; ``verify`` dumps the
live database the same way and compares, so "restored" means "byte-for-byte the same rows".

Production PostgreSQL should also be backed up with ``pg_dump`` (see docs/security.md); this
format exists for moving between engines and for the embedded SQLite installation.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from heng.core import crypto
from heng.core.fields import EncryptedTextField

FORMAT = "heng-backup-1"
Progress = Callable[[str, int], None]


class BackupError(RuntimeError):
    pass


def backup_models(using: str = DEFAULT_DB_ALIAS) -> list[type[models.Model]]:
    """Every concrete table Django manages (m2m link tables included) that exists in the
    database, in a stable order. (A model whose migration has not run has no table yet; the
    manifest's migration list says which state the backup is of.)"""
    existing = set(connections[using].introspection.table_names())
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed
        and not m._meta.proxy
        and not m._meta.swapped
        and m._meta.db_table in existing
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _plain(value: Any) -> Any:
    """A stored value in an engine-neutral JSON form."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return {"$us": value // dt.timedelta(microseconds=1)}
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _restore_value(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField | EncryptedTextField):
        return value
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    if isinstance(value, dict) and "$us" in value:
        return dt.timedelta(microseconds=value["$us"])
    return field.to_python(value)


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _line(row: dict[str, Any]) -> bytes:
    return (_ENCODER.encode(row) + "\n").encode()


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a column's Python value becomes JSON (None: it already is)."""
    if isinstance(field, models.JSONField | EncryptedTextField):
        return None
    kind = field.get_internal_type()
    if kind in {
        "DateTimeField",
        "DateField",
        "TimeField",
        "DurationField",
        "DecimalField",
        "UUIDField",
        "BinaryField",
    }:
        return _plain
    return None


def _rows(model: type[models.Model], using: str) -> Iterator[bytes]:
    """The table's rows in primary-key order, one canonical JSON line each."""
    fields = _fields(model)
    names = [f.attname for f in fields]
    # Only the columns that need it are converted (a 600k-row table spends its time here).
    convert = [(i, c) for i, f in enumerate(fields) if (c := _converter(f)) is not None]
    with crypto.raw_ciphertext():
        values = model._base_manager.using(using).order_by("pk").values_list(*names)
        for row in values.iterator(chunk_size=5000):
            if convert:
                cells = list(row)
                for i, c in convert:
                    if cells[i] is not None:
                        cells[i] = c(cells[i])
                row = tuple(cells)
            yield _line(dict(zip(names, row, strict=True)))


@dataclass
class TableSum:
    rows: int
    sha256: str


def _sum(lines: Iterator[bytes], sink: Any = None) -> TableSum:
    digest, count = hashlib.sha256(), 0
    for line in lines:
        digest.update(line)
        count += 1
        if sink is not None:
            sink.write(line)
    return TableSum(count, digest.hexdigest())


def _applied(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def dump(
    path: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress | None = None
) -> dict[str, Any]:
    """Write the backup zip; returns its manifest."""
    tables: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for model in backup_models(using):
            label = model._meta.label_lower
            name = f"data/{label}.jsonl"
            with archive.open(name, "w", force_zip64=True) as sink:
                total = _sum(_rows(model, using), sink)
            tables[label] = {"file": name, "rows": total.rows, "sha256": total.sha256}
            if progress:
                progress(label, total.rows)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "engine": connections[using].vendor,
            "migrations": _applied(using),
            "field_key_ids": sorted(crypto.keyring().keys),
            "tables": tables,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not a Heng backup") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unsupported backup format {manifest.get('format')!r}")
    return manifest


def check_archive(path: Path) -> list[str]:
    """Problems with the archive itself (a line count or checksum that does not match)."""
    manifest, problems = read_manifest(path), []
    with zipfile.ZipFile(path) as archive:
        for label, info in manifest["tables"].items():
            with archive.open(info["file"]) as source:
                total = _sum(iter(source))
            if (total.rows, total.sha256) != (info["rows"], info["sha256"]):
                problems.append(f"{label}: archive does not match its manifest")
    return problems


@dataclass(frozen=True)
class Comparison:
    label: str
    rows_backup: int
    rows_db: int
    same: bool


def verify(manifest: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS) -> list[Comparison]:
    """Row counts and checksums of the live database against a backup's manifest."""
    live = {m._meta.label_lower: m for m in backup_models(using)}
    out = []
    for label in sorted(set(manifest["tables"]) | set(live)):
        info = manifest["tables"].get(label)
        model = live.get(label)
        total = _sum(_rows(model, using)) if model is not None else TableSum(0, "")
        expected = (info["rows"], info["sha256"]) if info else (0, hashlib.sha256().hexdigest())
        out.append(
            Comparison(
                label,
                expected[0],
                total.rows,
                (total.rows, total.sha256 or expected[1]) == expected,
            )
        )
    return out


def _nonempty_tables(using: str) -> list[str]:
    # Content types and permissions are created by ``migrate`` itself; they do not count.
    ignored = {"contenttypes.contenttype", "auth.permission"}
    return [
        m._meta.label_lower
        for m in backup_models(using)
        if m._meta.label_lower not in ignored and m._base_manager.using(using).exists()
    ]


def restore(
    path: Path,
    *,
    using: str = DEFAULT_DB_ALIAS,
    force: bool = False,
    progress: Progress | None = None,
) -> list[Comparison]:
    """Replace the database's rows with the backup's, in one transaction, then verify."""
    manifest = read_manifest(path)
    problems = check_archive(path)
    if problems:
        raise BackupError("; ".join(problems))
    applied = _applied(using)
    if applied != manifest["migrations"]:
        missing = {a for a in manifest["migrations"] if applied.get(a) != manifest["migrations"][a]}
        extra = set(applied) - set(manifest["migrations"])
        raise BackupError(
            "the database schema differs from the backup's (apps: "
            f"{', '.join(sorted(missing | extra))}); run `heng migrate` to the same version first"
        )
    live = {m._meta.label_lower: m for m in backup_models(using)}
    unknown = set(manifest["tables"]) - set(live)
    if unknown:
        raise BackupError(f"tables unknown to this version: {', '.join(sorted(unknown))}")
    busy = _nonempty_tables(using)
    if busy and not force:
        raise BackupError(
            f"the database is not empty ({', '.join(busy[:5])}…); use --force to replace it"
        )
    connection = connections[using]
    ordered = [live[label] for label in sorted(manifest["tables"])]
    with transaction.atomic(using=using), crypto.raw_ciphertext(), zipfile.ZipFile(path) as archive:
        tables = [m._meta.db_table for m in live.values()]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Settle pending deferred checks (TRUNCATE refuses to run while any are queued),
                # then defer all checks again so tables load in any order.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in ordered:
            info = manifest["tables"][model._meta.label_lower]
            with archive.open(info["file"]) as source:
                _load(model, io.TextIOWrapper(source, encoding="utf-8"), using, progress)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), ordered):
                cursor.execute(sql)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    return verify(manifest, using=using)


def _load(model: type[models.Model], lines: Any, using: str, progress: Progress | None) -> None:
    fields = _fields(model)
    connection = connections[using]
    batch: list[models.Model] = []
    size = max(1, connection.ops.bulk_batch_size(fields, [None] * 1000) or 500)
    label = model._meta.label_lower

    def flush() -> None:
        # Raw insert: no auto_now, no pre_save hooks, explicit primary keys: the rows exactly.
        manager: Any = model._base_manager.using(using)  # _insert: the raw insert loaddata uses
        manager._insert(batch, fields=fields, using=using, raw=True)
        if progress:
            progress(label, len(batch))
        batch.clear()

    for line in lines:
        row = json.loads(line)
        obj = model(**{f.attname: _restore_value(f, row.get(f.attname)) for f in fields})
        batch.append(obj)
        if len(batch) >= min(size, 1000):
            flush()
    if batch:
        flush()

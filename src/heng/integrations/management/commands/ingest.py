"""``heng ingest SOURCE FILE [--dry-run] [--strict] [--map field=column ...]``"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heng.core.errors import ApplicationError
from heng.integrations.errors import reasons_text
from heng.integrations.models import Source
from heng.integrations.services import batch_commit, batch_map, batch_preview, batch_stage_upload


class Command(BaseCommand):
    help = (
        "Ingest a CSV/XLSX file into a source through the same cleaning as uploads: "
        "prints the counts and the first bad rows. --dry-run writes no values."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="source code, e.g. douyin")
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only")
        parser.add_argument(
            "--strict", action="store_true", help="refuse the whole file if any row is invalid"
        )
        parser.add_argument(
            "--map",
            dest="mappings",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="map a field to a file column (repeatable)",
        )

    def handle(
        self,
        *args: Any,
        source: str,
        file: Path,
        dry_run: bool,
        strict: bool,
        mappings: list[str],
        **options: Any,
    ) -> None:
        found = Source.objects.filter(code=source).first()
        if found is None:
            raise CommandError(f"no source {source!r}")
        if not file.exists():
            raise CommandError(f"no file {file}")
        try:
            from django.core.files import File

            with file.open("rb") as fh:
                batch = batch_stage_upload(
                    source=found,
                    file=File(fh, name=file.name),
                    filename=file.name,
                    actor=None,
                    via="cli",
                )
            extra = dict(item.split("=", 1) for item in mappings if "=" in item)
            if extra:
                batch = batch_map(batch=batch, mapping={**batch.mapping, **extra}, actor=None)
            batch = batch_preview(batch=batch, actor=None)
            if not dry_run:
                batch = batch_commit(batch_id=batch.pk, strict=strict)
        except ApplicationError as exc:
            fields = "".join(f"\n  {k}: {v}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message}{fields}") from None
        self.stdout.write(
            f"batch #{batch.pk} {batch.status}: received {batch.received}, test {batch.test_rows}"
            f", duplicates {batch.duplicates}, quarantined {batch.quarantined}, "
            f"{'to commit' if dry_run else 'committed'} {batch.committed} rows "
            f"({batch.facts} values)"
        )
        for error in (batch.report or {}).get("errors", [])[:20]:
            self.stdout.write(f"  row {error['row']}: {reasons_text(error['reasons'])}")

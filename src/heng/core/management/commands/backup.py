"""``heng backup FILE``: the whole database into one portable file, checked after writing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from heng.core.backup import BackupError, check_archive, dump


class Command(BaseCommand):
    help = (
        "Back up every table to FILE (a zip of JSON lines with row counts and SHA-256 sums), "
        "restorable into SQLite or PostgreSQL with `heng restore`. Encrypted fields stay "
        "encrypted: keep the field-encryption keys safe separately."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        path = Path(file)
        bar = tqdm(unit=" rows", file=sys.stderr, disable=options.get("verbosity", 1) == 0)

        def progress(label: str, n: int) -> None:
            bar.set_description(label)
            bar.update(n)

        manifest = dump(path, progress=progress)
        bar.close()
        try:
            problems = check_archive(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if problems:
            raise CommandError("; ".join(problems))
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"backup written to {path}: {len(tables)} tables, {rows} rows, "
                f"{path.stat().st_size / 1e6:.1f} MB, checksums verified"
            )
        )

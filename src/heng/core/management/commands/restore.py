"""``heng restore FILE``: load a backup into an empty, migrated database and verify it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from heng.core.backup import BackupError, Comparison, read_manifest, restore, verify


class Command(BaseCommand):
    help = (
        "Restore a `heng backup` file (from SQLite or PostgreSQL) into this database, which "
        "must be migrated to the same version and empty (or --force to replace its rows). "
        "Afterwards every table's row count and checksum are compared with the backup. "
        "--verify-only compares without restoring."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--force", action="store_true", help="replace the rows of a database that is not empty"
        )
        parser.add_argument(
            "--verify-only", action="store_true", help="only compare the database with the backup"
        )

    def handle(self, *args: Any, file: str, force: bool, verify_only: bool, **options: Any) -> None:
        path = Path(file)
        try:
            if verify_only:
                result = verify(read_manifest(path))
            else:
                bar = tqdm(unit=" rows", file=sys.stderr, disable=options.get("verbosity", 1) == 0)

                def progress(label: str, n: int) -> None:
                    bar.set_description(label)
                    bar.update(n)

                result = restore(path, force=force, progress=progress)
                bar.close()
        except (BackupError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self._report(result)

    def _report(self, result: list[Comparison]) -> None:
        bad = [c for c in result if not c.same]
        self.stdout.write(f"{'table':<40} {'backup':>9} {'database':>9}  checksum")
        for c in result:
            if c.rows_backup or c.rows_db or not c.same:
                mark = "ok" if c.same else "DIFFERS"
                self.stdout.write(f"{c.label:<40} {c.rows_backup:>9} {c.rows_db:>9}  {mark}")
        total = sum(c.rows_db for c in result)
        if bad:
            raise CommandError(f"{len(bad)} tables differ from the backup")
        self.stdout.write(
            self.style.SUCCESS(
                f"verified: {len(result)} tables, {total} rows identical to the backup"
            )
        )

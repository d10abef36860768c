# ruff: noqa: N999 - the command is spelled ``heng import``
"""``heng import <kind> FILE [--dry-run]``: bulk import with a report of every bad row."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from heng.core.errors import ApplicationError
from heng.people.imports import KINDS, run_import, template_csv, template_xlsx


class Command(BaseCommand):
    help = (
        "Import org units, employees, assignments or contracts from a CSV (UTF-8 or GBK) or "
        "XLSX file. Every row is checked first; one bad row and nothing is written. "
        "--dry-run only reports. --template writes an empty template to FILE instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--template",
            action="store_true",
            help="write the empty template for KIND to FILE (.csv or .xlsx)",
        )

    def handle(
        self, *args: Any, kind: str, file: str, dry_run: bool, template: bool, **options: Any
    ) -> None:
        path = Path(file)
        if template:
            path.write_bytes(template_xlsx(kind) if path.suffix == ".xlsx" else template_csv(kind))
            self.stdout.write(f"template for {kind} written to {path}")
            return
        if not path.exists():
            raise CommandError(f"no such file: {path}")
        bar = tqdm(
            desc=f"{kind}: checking",
            unit=" rows",
            file=sys.stderr,
            disable=options.get("verbosity", 1) == 0,
        )
        try:
            report = run_import(
                kind=kind,
                data=path.read_bytes(),
                filename=path.name,
                actor=f"cli:{os.environ.get('USER', '')}",
                commit=not dry_run,
                progress=bar.update,
            )
        except ApplicationError as exc:
            raise CommandError(" ".join([exc.message, *exc.fields.values()])) from exc
        finally:
            bar.close()
        self.stdout.write(
            f"{report.total_rows} rows ({report.encoding}): {report.to_create} new, "
            f"{report.to_update} changed, {report.unchanged} unchanged, "
            f"{report.bad_rows} bad"
        )
        for e in sorted(report.errors, key=lambda e: (e.line, e.column)):
            self.stdout.write(f"  line {e.line:>6}  {e.column:<16} {e.value[:30]:<30} {e.reason}")
        if report.errors:
            raise CommandError(f"{report.bad_rows} bad rows: nothing was imported")
        if report.committed:
            self.stdout.write(self.style.SUCCESS("imported"))
        elif dry_run:
            self.stdout.write("dry run: nothing was written")
        else:
            self.stdout.write("nothing to change")

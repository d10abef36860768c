"""``heng scheme export CODE`` / ``heng scheme import FILE [--dry-run] [--publish]``."""

from __future__ import annotations

import datetime as dt
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heng.core.errors import ApplicationError
from heng.performance import services
from heng.performance.models import Scheme


class Command(BaseCommand):
    help = (
        "Export a scheme as a YAML scheme file, or import one (a whole scheme: framework, "
        "indicators, lines, overrides). Examples:\n"
        "  heng scheme export DOUYIN-OPS > douyin.yaml\n"
        "  heng scheme export DOUYIN-OPS --version 1\n"
        "  heng scheme import douyin.yaml --dry-run\n"
        "  heng scheme import douyin.yaml --publish --effective-from 2026-01-01"
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print the scheme file")
        export.add_argument("code", help="scheme code")
        export.add_argument(
            "--version",
            type=int,
            default=None,
            help="a published version (default: the working copy)",
        )
        imp = sub.add_parser("import", help="create or update a scheme from a file ('-' = stdin)")
        imp.add_argument("file")
        imp.add_argument(
            "--dry-run",
            action="store_true",
            help="check and report what would change; write nothing",
        )
        imp.add_argument(
            "--publish", action="store_true", help="publish a new version when the scheme changed"
        )
        imp.add_argument(
            "--effective-from",
            type=dt.date.fromisoformat,
            default=None,
            help="date the published version takes effect (default today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["code"], options["version"])
        else:
            self._import(options)

    def _export(self, code: str, version: int | None) -> None:
        scheme = Scheme.objects.filter(code=code).first()
        if scheme is None:
            raise CommandError(f"no scheme with code {code!r}")
        if version is not None and not scheme.versions.filter(number=version).exists():
            raise CommandError(f"scheme {code} has no version {version}")
        self.stdout.write(services.scheme_file_export(scheme, version=version), ending="")

    def _import(self, options: dict[str, Any]) -> None:
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}") from None
        try:
            report = services.scheme_file_import(
                actor=None,
                text=text,
                dry_run=options["dry_run"],
                publish=options["publish"],
                effective_from=options["effective_from"],
            )
        except ApplicationError as exc:
            lines = [f"{name}: {exc.message}"]
            lines += [f"  {key}: {reason}" for key, reason in list(exc.fields.items())[1:]]
            raise CommandError("\n".join(lines)) from None
        head = "dry run — nothing written" if report.dry_run else "imported"
        self.stdout.write(f"{head}: scheme {report.scheme}")
        for kind, code, result in report.actions:
            self.stdout.write(f"  {kind:<10} {code:<24} {result}")

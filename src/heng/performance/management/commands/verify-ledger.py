# ruff: noqa: N999 - the command is spelled ``heng verify-ledger``
"""``heng verify-ledger``: check the hash chain of published results; exit 1 when broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from heng.performance.services.ledger import ledger_verify


class Command(BaseCommand):
    help = "Verify the append-only ledger of published results and name the first broken entry."

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_verify()
        if not report.ok:
            raise CommandError(
                f"ledger BROKEN at entry #{report.broken_seq}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        self.stdout.write(f"ledger OK: {report.checked} entries, chain intact")

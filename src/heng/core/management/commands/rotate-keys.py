# ruff: noqa: N999 - the command is spelled ``heng rotate-keys``
"""``heng rotate-keys``: re-encrypt sensitive fields under the active key, without downtime."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from heng.core import crypto
from heng.core.keys import key_usage, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (history tables included) under the active key, in "
        "small batches; the site keeps running. --add-key first generates a new key in the key "
        "file and makes it active. --status only reports which key each value is under."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", action="store_true", help="report key usage and stop")
        parser.add_argument(
            "--add-key",
            action="store_true",
            help="generate a new key in the key file and make it active (key-file setups only)",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, status: bool, add_key: bool, batch_size: int, **opts: Any) -> None:
        if add_key:
            self._add_key()
        ring = crypto.keyring()
        self.stdout.write(f"key ring: {', '.join(ring.keys)} (active {ring.active}, {ring.source})")
        if not status:
            bar = tqdm(unit=" rows", disable=opts.get("verbosity", 1) == 0)

            def progress(label: str, n: int) -> None:
                bar.set_description(label)
                bar.update(n)

            rewritten = rotate_keys(
                batch_size=batch_size, progress=progress, actor=f"cli:{os.environ.get('USER', '')}"
            )
            bar.close()
            for label, n in rewritten.items():
                self.stdout.write(f"  {label}: {n} rows re-encrypted")
        self._report()

    def _report(self) -> None:
        ring = crypto.keyring()
        still_used: set[str] = set()
        for column, counter in key_usage().items():
            parts = ", ".join(f"{k}={n}" for k, n in sorted(counter.items())) or "empty"
            self.stdout.write(f"  {column}: {parts}")
            still_used |= set(counter)
        unused = sorted(set(ring.keys) - still_used - {ring.active})
        if unused:
            self.stdout.write(
                self.style.SUCCESS(
                    f"keys no longer used by any row: {', '.join(unused)} (they may be retired "
                    "after your backups under them expire)"
                )
            )

    def _add_key(self) -> None:
        import json

        path = crypto.key_file_path()
        if path is None:
            raise CommandError(
                "keys come from HENG_FIELD_KEYS: add the new key there (all processes), make it "
                "HENG_FIELD_ACTIVE_KEY, restart, then run this command without --add-key"
            )
        crypto.keyring()  # creates the development key file when missing
        data = json.loads(path.read_text())
        keys: dict[str, str] = data["keys"]
        number = 1 + max(int(k[1:]) for k in keys if k[1:].isdigit()) if keys else 1
        new_id = f"k{number}"
        keys[new_id] = crypto.new_key()
        data["active"] = new_id
        crypto.write_key_file(path, data)
        crypto.reset_keyring()
        self.stdout.write(f"added key {new_id} to {path} and made it active")

"""The append-only ledger of published results (F4): each entry hashes the previous one.

``hash = sha256(prev_hash + "\\n" + payload)`` where ``payload`` is the canonical JSON text
(sorted keys, no spaces, numbers as fixed-point text) stored verbatim, so verification never
depends on how a database re-serialises JSON. Triggers refuse UPDATE and DELETE (migration
0004); corrections are new entries.
"""

from __future__ import annotations

from django.db import models

GENESIS = "0" * 64


class LedgerEntry(models.Model):
    # Set explicitly (head.last_seq + 1 …) under the head's lock: gap-free and ordered.
    seq = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=20)  # "result" | "correction"
    cycle_code = models.CharField(max_length=40, db_index=True)
    employee_no = models.CharField(max_length=40)
    payload = models.TextField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class LedgerHead(models.Model):
    """One row: the last entry. Locked while appending so concurrent appends serialise, and
    compared with the chain on verification (so a truncated tail is found too)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"head #{self.last_seq}"

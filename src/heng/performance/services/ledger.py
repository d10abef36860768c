"""The tamper-evident ledger (F4): append under a lock, verify the whole chain.

Entry hash = SHA-256(prev_hash + "\\n" + payload), payload = canonical JSON text (sorted keys,
compact separators, every number as fixed-point text), stored verbatim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from heng.core.bulk import bulk_insert, insert_frame
from heng.performance.models import GENESIS, LedgerEntry, LedgerHead


@dataclass(frozen=True)
class RawJSON:
    """JSON text put into a payload as it is (a result's stored explanation)."""

    text: str


def canonical(payload: dict[str, Any]) -> str:
    """Sorted keys, compact separators, non-ASCII as is; :class:`RawJSON` values verbatim."""
    raws: dict[str, str] = {}
    plain: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, RawJSON):
            marker = f"\x00raw:{key}\x00"
            raws[json.dumps(marker)] = value.text
            value = marker
        plain[key] = value
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for quoted, raw in raws.items():
        text = text.replace(quoted, raw, 1)
    return text


def entry_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    kind: str
    cycle_code: str
    employee_no: str
    payload: dict[str, Any]


def ledger_append(entries: Iterable[Entry]) -> int:
    """Append in order; must run inside the caller's transaction (it locks the head row)."""
    LedgerHead.objects.get_or_create(id=1)
    head = LedgerHead.objects.select_for_update().get(id=1)
    seq, prev = head.last_seq, head.last_hash
    rows = []
    for e in entries:
        seq += 1
        text = canonical(e.payload)
        digest = entry_hash(prev, text)
        rows.append(
            LedgerEntry(
                seq=seq,
                kind=e.kind,
                cycle_code=e.cycle_code,
                employee_no=e.employee_no,
                payload=text,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    bulk_insert(LedgerEntry, rows)
    LedgerHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev)
    return len(rows)


def ledger_append_payloads(*, kind: str, cycle_code: str, payloads: pl.DataFrame) -> int:
    """Append ``payloads`` (``employee_no, payload``: canonical JSON text) in order, e.g. a
    whole cycle at publication; same chain and locking as :func:`ledger_append`."""
    LedgerHead.objects.get_or_create(id=1)
    head = LedgerHead.objects.select_for_update().get(id=1)
    prev = head.last_hash
    prevs, hashes = [], []
    for text in payloads["payload"].to_list():
        digest = entry_hash(prev, text)
        prevs.append(prev)
        hashes.append(digest)
        prev = digest
    count = payloads.height
    insert_frame(
        LedgerEntry,
        payloads.select(
            pl.int_range(head.last_seq + 1, head.last_seq + 1 + count, dtype=pl.Int64).alias("seq"),
            pl.lit(kind).alias("kind"),
            pl.lit(cycle_code).alias("cycle_code"),
            "employee_no",
            "payload",
            pl.Series("prev_hash", prevs, pl.Utf8),
            pl.Series("hash", hashes, pl.Utf8),
            pl.lit(timezone.now()).alias("created_at"),
        ),
    )
    LedgerHead.objects.filter(id=1).update(last_seq=head.last_seq + count, last_hash=prev)
    return count


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def ledger_verify(*, chunk: int = 10000) -> Verification:
    """Walk the chain in order; name the first entry whose link or hash does not match."""
    prev, expected, checked = GENESIS, 1, 0
    rows = LedgerEntry.objects.order_by("seq").values_list("seq", "payload", "prev_hash", "hash")
    for seq, payload, prev_hash, digest in rows.iterator(chunk_size=chunk):
        if seq != expected:
            return Verification(False, checked, expected, "entry missing")
        if prev_hash != prev:
            return Verification(False, checked, seq, "link to the previous entry broken")
        if entry_hash(prev_hash, payload) != digest:
            return Verification(False, checked, seq, "content does not match its hash")
        prev, expected, checked = digest, expected + 1, checked + 1
    head = LedgerHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return Verification(
            False,
            checked,
            checked + 1 if head.last_seq > checked else checked,
            "entries missing at the end",
        )
    return Verification(True, checked)


def ledger_append_atomic(entries: Iterable[Entry]) -> int:
    with transaction.atomic():
        return ledger_append(entries)

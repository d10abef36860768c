"""Key rotation for encrypted fields: re-encrypt every stored value under the active key.

Zero downtime: the key ring holds the old and the new key throughout, so every row reads
whichever key it is under; the job works in small batches, each its own short transaction that
locks only its rows, and can be interrupted and run again (rows already under the active key
are skipped). History tables are included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import models, transaction

from heng.core import crypto
from heng.core.audit import audit_record
from heng.core.fields import EncryptedTextField

Progress = Callable[[str, int], None]


def encrypted_columns() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append((model, fields))
    return found


def key_usage() -> dict[str, Counter[str]]:
    """{"app.model.field": Counter(key_id → rows)}, read without decrypting anything."""
    usage: dict[str, Counter[str]] = {}
    with crypto.raw_ciphertext():
        for model, fields in encrypted_columns():
            for field in fields:
                counter: Counter[str] = Counter()
                values = model._base_manager.exclude(**{field.attname: ""}).exclude(
                    **{f"{field.attname}__isnull": True}
                )
                for value in values.values_list(field.attname, flat=True).iterator(2000):
                    counter[crypto.key_id_of(value) or "plaintext"] += 1
                usage[field.aad] = counter
    return usage


def rotate_keys(
    *, batch_size: int = 500, progress: Progress | None = None, actor: Any = None
) -> dict[str, int]:
    """Re-encrypt values not under the active key; returns rows rewritten per model."""
    active = crypto.keyring().active
    rewritten: dict[str, int] = {}
    for model, fields in encrypted_columns():
        label = model._meta.label_lower
        rewritten[label] = 0
        last: Any = None
        while True:
            with transaction.atomic(), crypto.raw_ciphertext():
                rows = model._base_manager.order_by("pk").select_for_update()
                if last is not None:
                    rows = rows.filter(pk__gt=last)
                batch = list(rows.values_list("pk", *[f.attname for f in fields])[:batch_size])
                if not batch:
                    break
                last = batch[-1][0]
                names = [f.attname for f in fields]
                changed = []
                for pk, *values in batch:
                    fresh = [
                        (crypto.reencrypt(v, f.aad) if v else None)
                        for f, v in zip(fields, values, strict=True)
                    ]
                    if any(n is not None for n in fresh):
                        # Unchanged columns are written back as stored (raw mode: no re-encryption).
                        merged = [
                            n if n is not None else v for n, v in zip(fresh, values, strict=True)
                        ]
                        changed.append(model(pk=pk, **dict(zip(names, merged, strict=True))))
                if changed:
                    model._base_manager.bulk_update(changed, names, batch_size=batch_size)
                rewritten[label] += len(changed)
            if progress is not None:
                progress(label, len(batch))
    audit_record(
        actor=actor,
        action="keys.rotate",
        target_type="core.fieldkey",
        target_id=active,
        target_label=f"active key {active}",
        after={"rewritten": rewritten},
    )
    return rewritten

"""Masked display of sensitive values (lists, pages, exports)."""

from __future__ import annotations


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``110105199001011234`` → ``110***********1234``; short values are fully masked."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def mask_id_card(value: str) -> str:
    return mask(value, keep_start=3, keep_end=4)


def mask_phone(value: str) -> str:
    return mask(value, keep_start=3, keep_end=4)


def mask_bank_account(value: str) -> str:
    return mask(value, keep_start=0, keep_end=4)


MASKED_AMOUNT = "****"

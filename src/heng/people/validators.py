"""Field checks shared by forms, the API and imports."""

from __future__ import annotations

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_DIGITS = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^\+?[\d\- ]{6,20}$")


def id_card_checksum_ok(number: str) -> bool:
    """GB 11643: the 18th character is a mod-11 checksum of the first 17 digits."""
    number = number.strip().upper()
    if not _ID_RE.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK_DIGITS[total % 11] == number[17]


def id_card_with_checksum(first17: str) -> str:
    """Complete a 17-digit prefix with its checksum character (used by the demo generator)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + _CHECK_DIGITS[total % 11]


def phone_ok(phone: str) -> bool:
    return bool(_PHONE_RE.match(phone.strip()))

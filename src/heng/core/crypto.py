"""Field encryption: AES-256-GCM under a key ring with key ids, and a keyed hash for lookups.

Stored format: ``enc1:<key_id>:<base64(nonce | ciphertext | tag)>``; the associated data is the
column's identity (``app_label.model.field``), so a ciphertext copied into another column fails
to decrypt. Keys never live in the database. Where they come from, first match wins:

1. ``HENG_FIELD_KEYS``: JSON ``{"k1": "<base64 32 bytes>", ...}`` or ``k1:<b64>,k2:<b64>``,
   with ``HENG_FIELD_ACTIVE_KEY`` (default: the last one listed) and ``HENG_FIELD_INDEX_KEY``
   (base64, required: the blind-index key must outlive every data key);
2. ``HENG_FIELD_KEY_FILE``: a JSON file ``{"active": "k1", "keys": {...}, "index_key": "..."}``;
3. ``<var>/field_keys.json``, generated on first use for development and the demo.

A wrong or missing key fails loudly (:class:`DecryptionError`): the UI never shows ciphertext as
if it were data. See docs/adr/0005-field-encryption.md.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
_NONCE = 12


class DecryptionError(RuntimeError):
    """A stored value could not be decrypted: wrong key, unknown key id or tampered data."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    active: str
    index_key: bytes
    source: str

    def aead(self, key_id: str) -> AESGCM:
        return AESGCM(self.keys[key_id])


_lock = threading.Lock()
_ring: KeyRing | None = None
_raw: ContextVar[bool] = ContextVar("heng_crypto_raw", default=False)


def _b64key(value: str, what: str) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64") from exc
    if len(key) != 32:
        raise ImproperlyConfigured(f"{what} must be 32 bytes (AES-256), got {len(key)}")
    return key


def _parse_keys(text: str) -> dict[str, str]:
    text = text.strip()
    if text.startswith("{"):
        parsed = json.loads(text)
        return {str(k): str(v) for k, v in parsed.items()}
    pairs = [p.split(":", 1) for p in text.split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ImproperlyConfigured("HENG_FIELD_KEYS must be JSON or 'id:base64,id:base64'")
    return {k.strip(): v.strip() for k, v in pairs}


def _ring_from(keys: dict[str, str], active: str | None, index: str | None, source: str) -> KeyRing:
    if not keys:
        raise ImproperlyConfigured(f"no field-encryption keys in {source}")
    for key_id in keys:
        if not key_id or ":" in key_id:
            raise ImproperlyConfigured(f"bad key id {key_id!r} in {source}")
    active = active or list(keys)[-1]
    if active not in keys:
        raise ImproperlyConfigured(f"active key {active!r} is not in the key ring ({source})")
    if not index:
        raise ImproperlyConfigured(f"no blind-index key (HENG_FIELD_INDEX_KEY) in {source}")
    return KeyRing(
        keys={k: _b64key(v, f"key {k}") for k, v in keys.items()},
        active=active,
        index_key=_b64key(index, "index key"),
        source=source,
    )


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def default_key_file() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "field_keys.json"


def key_file_path() -> Path | None:
    """The key file in use, or None when the keys come from the environment."""
    if os.environ.get("HENG_FIELD_KEYS"):
        return None
    configured = os.environ.get("HENG_FIELD_KEY_FILE")
    return Path(configured) if configured else default_key_file()


def _load() -> KeyRing:
    if text := os.environ.get("HENG_FIELD_KEYS"):
        return _ring_from(
            _parse_keys(text),
            os.environ.get("HENG_FIELD_ACTIVE_KEY"),
            os.environ.get("HENG_FIELD_INDEX_KEY"),
            "environment",
        )
    path = key_file_path()
    assert path is not None
    if not path.exists():
        if os.environ.get("HENG_FIELD_KEY_FILE"):
            raise ImproperlyConfigured(f"key file {path} does not exist")
        write_key_file(path, {"active": "k1", "keys": {"k1": new_key()}, "index_key": new_key()})
    data = json.loads(path.read_text())
    return _ring_from(
        data.get("keys", {}),
        os.environ.get("HENG_FIELD_ACTIVE_KEY") or data.get("active"),
        data.get("index_key"),
        str(path),
    )


def write_key_file(path: Path, data: dict[str, object]) -> None:
    """Write the key file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)


_RECHECK_SECONDS = 10.0
_file_stamp: tuple[float, float] | None = None  # (mtime seen, monotonic time of the check)


def _key_file_changed() -> bool:
    """Has the key file changed since it was loaded? Checked at most every few seconds, so a
    key added by ``heng rotate-keys --add-key`` reaches every running process by itself."""
    global _file_stamp
    if _file_stamp is None:
        return False
    seen, checked = _file_stamp
    now = time.monotonic()
    if now - checked < _RECHECK_SECONDS:
        return False
    path = key_file_path()
    try:
        mtime = path.stat().st_mtime if path is not None else seen
    except OSError:
        mtime = seen
    _file_stamp = (seen, now)
    return mtime != seen


def keyring() -> KeyRing:
    global _ring, _file_stamp
    ring = _ring
    if ring is None or _key_file_changed():
        with _lock:
            if _ring is None or ring is _ring:
                _ring = _load()
                path = key_file_path()
                _file_stamp = (
                    (path.stat().st_mtime, time.monotonic())
                    if path is not None and path.exists()
                    else None
                )
            ring = _ring
    return ring


def reset_keyring() -> None:
    """Forget the loaded key ring (tests; after adding a key to the key file)."""
    global _ring, _file_stamp
    with _lock:
        _ring = None
        _file_stamp = None


def _ring_with(key_id: str) -> KeyRing:
    ring = keyring()
    if key_id not in ring.keys:
        # Another process may have added a key to the key file (rotation without downtime):
        # reload once before giving up.
        reset_keyring()
        ring = keyring()
    if key_id not in ring.keys:
        raise DecryptionError(f"unknown field-encryption key id {key_id!r} ({ring.source})")
    return ring


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX + ":")


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1] if is_ciphertext(token) else ""


def encrypt(plaintext: str, aad: str) -> str:
    ring = keyring()
    nonce = secrets.token_bytes(_NONCE)
    sealed = ring.aead(ring.active).encrypt(nonce, plaintext.encode(), aad.encode())
    return f"{PREFIX}:{ring.active}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, aad: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError(f"{aad}: stored value is not a Heng ciphertext")
    ring = _ring_with(parts[1])
    try:
        blob = base64.b64decode(parts[2], validate=True)
        plain = ring.aead(parts[1]).decrypt(blob[:_NONCE], blob[_NONCE:], aad.encode())
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise DecryptionError(f"{aad}: cannot decrypt with key {parts[1]!r}") from exc
    return plain.decode()


def normalize_for_index(value: str) -> str:
    return value.strip().upper()


def blind_index(value: str, purpose: str = "id_card") -> str:
    """HMAC-SHA256 of the normalised value: equal inputs match, the value stays secret."""
    if not value:
        return ""
    message = f"{purpose}:{normalize_for_index(value)}".encode()
    return hmac.new(keyring().index_key, message, hashlib.sha256).hexdigest()


def raw_mode() -> bool:
    return _raw.get()


@contextlib.contextmanager
def raw_ciphertext() -> Iterator[None]:
    """Inside this block encrypted fields read and write stored ciphertext unchanged.

    Backup/restore and key rotation use it to move ciphertext without ever decrypting it into
    a model or a file.
    """
    token = _raw.set(True)
    try:
        yield
    finally:
        _raw.reset(token)


def reencrypt(token: str, aad: str) -> str | None:
    """The value under the active key, or None when it already is (key rotation)."""
    if not token or (is_ciphertext(token) and key_id_of(token) == keyring().active):
        return None
    return encrypt(decrypt(token, aad), aad)

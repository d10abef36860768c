"""Ingestion limits, overridable in settings (or the environment) without code changes."""

from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name) or default
    return int(value)


def max_upload_bytes() -> int:
    """Largest file accepted (default 512 MiB). Bigger files are refused before parsing."""
    return _setting("HENG_INGEST_MAX_BYTES", 512 * 1024 * 1024)


def max_push_rows() -> int:
    """Most rows in one push-API batch (default 10,000 — about 1–2 MB of JSON, inside Django's
    2.5 MB DATA_UPLOAD_MAX_MEMORY_SIZE); bigger deliveries are files."""
    return _setting("HENG_INGEST_MAX_PUSH_ROWS", 10_000)


def background_commit_rows() -> int:
    """Uploads with more rows than this are committed by the background worker."""
    return _setting("HENG_INGEST_BACKGROUND_ROWS", 200_000)


def max_quarantine_rows() -> int:
    """A batch with more bad rows than this is refused whole: it is the wrong file."""
    return _setting("HENG_INGEST_MAX_QUARANTINE_ROWS", 100_000)

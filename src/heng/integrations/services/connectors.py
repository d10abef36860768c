"""Scheduled pulls from HTTP-JSON endpoints (D2): fetch pages with retries, map fields, ingest.

The worker's every-minute task calls :func:`connectors_run_due`. A due connector is *claimed*
by moving its ``next_run_at`` forward with a compare-and-set UPDATE (and, on PostgreSQL, a
``SELECT … FOR UPDATE SKIP LOCKED`` first), so two workers never run the same schedule slot.
The rows go through the same ingestion service as uploads, with an idempotency key made of the
connector, the window and the content: a retried run writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heng.core.errors import ApplicationError, ValidationFailed
from heng.integrations.cron import next_run, parse_cron
from heng.integrations.fields import source_fields
from heng.integrations.files import table_from_records
from heng.integrations.models import (
    BatchVia,
    Connector,
    ConnectorRun,
    Pagination,
    RunStatus,
    Source,
)
from heng.integrations.services.batches import batch_ingest, payload_hash

log = logging.getLogger(__name__)
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_WAIT = 60.0
sleep = time.sleep  # replaced in tests that count the back-off


class FetchFailed(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass
class Fetch:
    records: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    pages: int = 0
    log: list[str] = field(default_factory=list)


def get_path(data: Any, path: str) -> Any:
    """``"data.list"`` → data["data"]["list"]; ``""`` → data; missing → None."""
    for part in [p for p in path.split(".") if p]:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


@transaction.atomic
def connector_create(
    *,
    source: Source,
    name: str,
    url: str,
    schedule: str = "0 2 * * *",
    field_map: dict[str, str] | None = None,
    **options: Any,
) -> Connector:
    parse_cron(schedule)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValidationFailed(fields={"url": _("use an http:// or https:// address")})
    known = {f.code for f in source_fields(source)}
    unknown = sorted(set(field_map or {}) - known)
    if unknown:
        raise ValidationFailed(
            fields={
                "field_map": _("not fields of this source: %(names)s")
                % {"names": ", ".join(unknown)}
            }
        )
    connector = Connector(
        source=source,
        name=name,
        url=url,
        schedule=schedule,
        field_map=dict(field_map or {}),
        **options,
    )
    connector.next_run_at = next_run(schedule, timezone.now())
    connector.save()
    return connector


def _request(connector: Connector, url: str, fetch: Fetch) -> Any:
    headers = {"Accept": "application/json", "User-Agent": "heng-connector/1"}
    if connector.auth_header and connector.auth_value:
        headers[connector.auth_header] = connector.auth_value
    attempts = max(1, connector.max_attempts)
    for attempt in range(1, attempts + 1):
        fetch.requests += 1
        wait = connector.backoff_seconds * 2 ** (attempt - 1)
        try:
            request = urllib.request.Request(url, headers=headers)
            with urllib.request.urlopen(request, timeout=connector.timeout_seconds) as answer:
                body = answer.read()
            try:
                return json.loads(body)
            except ValueError:
                raise FetchFailed(
                    _("%(url)s did not answer JSON") % {"url": url}, retryable=False
                ) from None
        except urllib.error.HTTPError as exc:
            retryable = exc.code in RETRYABLE_STATUS
            problem = f"HTTP {exc.code}"
            after = exc.headers.get("Retry-After") if exc.headers else None
            if after and after.isdigit():
                wait = max(wait, float(after))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            retryable, problem = True, str(getattr(exc, "reason", exc)) or type(exc).__name__
        if not retryable or attempt == attempts:
            fetch.log.append(f"{url}: {problem} (attempt {attempt}/{attempts}, giving up)")
            raise FetchFailed(
                _("%(url)s failed: %(problem)s") % {"url": url, "problem": problem},
                retryable=retryable,
            )
        wait = min(wait, MAX_WAIT)
        fetch.retries += 1
        fetch.log.append(f"{url}: {problem} (attempt {attempt}/{attempts}, retry in {wait:g}s)")
        sleep(wait)
    raise AssertionError("unreachable")


def _with_params(url: str, params: dict[str, Any]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query.update({k: str(v) for k, v in params.items() if v is not None})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def fetch_records(
    connector: Connector, *, start: dt.date, end: dt.date, fetch: Fetch | None = None
) -> Fetch:
    """Every record of the window, page after page, mapped to the source's field names.
    ``fetch`` collects the counts and the log, also when a request finally fails."""
    fetch = fetch if fetch is not None else Fetch()
    window = {"start": start.isoformat(), "end": end.isoformat()}
    base = connector.url.format(**window)
    params = {k: str(v).format(**window) for k, v in (connector.params or {}).items()}
    page, cursor = 1, None
    url = base
    while fetch.pages < connector.max_pages:
        extra = dict(params)
        if connector.pagination == Pagination.PAGE:
            extra[connector.page_param] = page
            if connector.page_size_param:
                extra[connector.page_size_param] = connector.page_size
        elif connector.pagination == Pagination.CURSOR and cursor is not None:
            extra[connector.cursor_param] = cursor
        body = _request(connector, _with_params(url, extra), fetch)
        fetch.pages += 1
        records = get_path(body, connector.records_path)
        if not isinstance(records, list):
            raise FetchFailed(
                _('No list of records at "%(path)s" in the answer.')
                % {"path": connector.records_path},
                retryable=False,
            )
        fetch.records += [_map(r, connector.field_map) for r in records if isinstance(r, dict)]
        if connector.pagination == Pagination.NONE or not records:
            break
        if connector.pagination == Pagination.PAGE:
            if connector.page_size and len(records) < connector.page_size:
                break
            page += 1
        else:
            nxt = get_path(body, connector.cursor_path)
            if nxt in (None, "", False):
                break
            if isinstance(nxt, str) and nxt.startswith(("http://", "https://")):
                url, cursor = nxt, None
            else:
                cursor = nxt
    return fetch


def _map(record: dict[str, Any], field_map: dict[str, str]) -> dict[str, Any]:
    if not field_map:
        return record
    return {name: get_path(record, path) for name, path in field_map.items()}


def _window(connector: Connector, scheduled_for: dt.datetime) -> tuple[dt.date, dt.date]:
    end = timezone.localtime(scheduled_for).date() - dt.timedelta(days=1)
    return end - dt.timedelta(days=max(1, connector.window_days) - 1), end


def connector_run(
    *, connector: Connector, scheduled_for: dt.datetime | None = None
) -> ConnectorRun:
    """Pull one window and ingest it; the run log records requests, retries and counts."""
    now = timezone.now()
    scheduled_for = scheduled_for or now
    start, end = _window(connector, scheduled_for)
    run = ConnectorRun.objects.create(
        connector=connector,
        scheduled_for=scheduled_for,
        started_at=now,
        window_start=start,
        window_end=end,
    )
    fetch = Fetch()
    try:
        fetch_records(connector, start=start, end=end, fetch=fetch)
        if fetch.records:
            digest = payload_hash(fetch.records)
            key = f"connector:{connector.pk}:{start}:{end}:{digest[:16]}"
            outcome = batch_ingest(
                source=connector.source,
                table=table_from_records(fetch.records),
                via=BatchVia.CONNECTOR,
                actor=None,
                idempotency_key=key,
                content_hash=digest,
                filename=connector.name,
            )
            run.batch = outcome.batch
            if outcome.replayed:
                fetch.log.append(f"same rows as batch #{outcome.batch.pk}: nothing new written")
        else:
            fetch.log.append("no records in the window")
        run.status = RunStatus.SUCCEEDED
    except FetchFailed as exc:
        run.status, run.error = RunStatus.FAILED, str(exc)
    except ApplicationError as exc:
        run.status, run.error = RunStatus.FAILED, exc.message
    except Exception as exc:  # the run log must say what happened, whatever it was
        log.exception("connector %s failed", connector.pk)
        run.status, run.error = RunStatus.FAILED, f"{type(exc).__name__}: {exc}"
    run.requests, run.retries, run.pages = fetch.requests, fetch.retries, fetch.pages
    run.records = len(fetch.records)
    run.log = "\n".join(fetch.log)[:20_000]
    run.finished_at = timezone.now()
    run.save()
    return run


def _claim(connector_id: int, now: dt.datetime) -> tuple[Connector, dt.datetime] | None:
    with transaction.atomic():
        due = Connector.objects.filter(pk=connector_id, enabled=True, next_run_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        connector = due.select_related("source").first()
        if connector is None or connector.next_run_at is None:
            return None
        scheduled_for = connector.next_run_at
        # Compare-and-set: only one worker moves this slot forward.
        moved = Connector.objects.filter(pk=connector.pk, next_run_at=scheduled_for).update(
            next_run_at=next_run(connector.schedule, now), last_run_at=now
        )
        return (connector, scheduled_for) if moved else None


def connectors_run_due(*, now: dt.datetime | None = None) -> list[ConnectorRun]:
    """Run every enabled connector whose time has come (once, even after a long outage)."""
    now = now or timezone.now()
    runs = []
    ids = Connector.objects.filter(enabled=True, next_run_at__lte=now).values_list("pk", flat=True)
    for connector_id in list(ids):
        claimed = _claim(connector_id, now)
        if claimed is not None:
            connector, scheduled_for = claimed
            runs.append(connector_run(connector=connector, scheduled_for=scheduled_for))
    return runs

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
import re
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


# --- configuring a connector ------------------------------------------------------------------
# Every way of saving a connector (the page, the API, the admin form, the demo) goes through
# connector_clean() and connector_save(): one set of rules, one place that sets next_run_at.

HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,60}$")
PATH = re.compile(r"^[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*$")
WINDOW_PLACEHOLDERS = {"start": "2000-01-01", "end": "2000-01-02"}
# (field, lowest, highest) for the numbers of a connector.
LIMITS: tuple[tuple[str, float, float], ...] = (
    ("page_size", 1, 10_000),
    ("max_pages", 1, 100_000),
    ("window_days", 1, 366),
    ("timeout_seconds", 0.1, 600),
    ("max_attempts", 1, 10),
    ("backoff_seconds", 0, MAX_WAIT),
)
EDITABLE = (
    "name",
    "url",
    "params",
    "auth_header",
    "auth_value",
    "records_path",
    "field_map",
    "pagination",
    "page_param",
    "page_size_param",
    "page_size",
    "cursor_path",
    "cursor_param",
    "max_pages",
    "schedule",
    "window_days",
    "timeout_seconds",
    "max_attempts",
    "backoff_seconds",
    "enabled",
)


def _window_template(text: str) -> str | None:
    """None when ``text`` only uses the {start} and {end} placeholders; else the problem."""
    try:
        text.format(**WINDOW_PLACEHOLDERS)
    except (KeyError, IndexError, ValueError):
        return str(_("only {start} and {end} may appear in braces (write {{ and }} for braces)"))
    return None


def _check_url(url: str, errors: dict[str, str]) -> None:
    problem = _window_template(url)
    if problem:
        errors["url"] = problem
        return
    parts = urllib.parse.urlsplit(url.format(**WINDOW_PLACEHOLDERS))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url"] = _("use an http:// or https:// address")


def _check_field_map(source: Source, field_map: Any, errors: dict[str, str]) -> None:
    if not isinstance(field_map, dict):
        errors["field_map"] = _('a JSON object such as {"employee_no": "author.no"}')
        return
    fields = source_fields(source)
    unknown = sorted(set(field_map) - {f.code for f in fields})
    bad_paths = sorted(
        name
        for name, path in field_map.items()
        if not isinstance(path, str) or not PATH.match(path)
    )
    missing = [f.code for f in fields if f.required and f.code not in field_map]
    if unknown:
        errors["field_map"] = _("not fields of this source: %(names)s") % {
            "names": ", ".join(unknown)
        }
    elif bad_paths:
        errors["field_map"] = _(
            'give each field a dotted path in the record, e.g. "author.no" (check %(names)s)'
        ) % {"names": ", ".join(bad_paths)}
    elif field_map and missing:
        errors["field_map"] = _("map the required fields too: %(names)s") % {
            "names": ", ".join(missing)
        }


def _check_params(params: Any, errors: dict[str, str]) -> None:
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int | float | bool) for k, v in params.items()
    ):
        errors["params"] = _('a JSON object of names and values, e.g. {"day": "{end}"}')
        return
    for value in params.values():
        problem = _window_template(str(value))
        if problem:
            errors["params"] = problem
            return


def _check_schedule(schedule: str, errors: dict[str, str]) -> None:
    try:
        next_run(parse_cron(schedule), timezone.now())
    except ValidationFailed as exc:
        errors["schedule"] = exc.message


def connector_clean(*, source: Source, values: dict[str, Any]) -> dict[str, Any]:
    """Check a connector's settings; return them normalised or raise ValidationFailed naming
    every field at fault (translated messages), so a form can show each next to its field."""
    out = dict(values)
    errors: dict[str, str] = {}
    for name in ("name", "url", "schedule", "auth_header", "auth_value"):
        if name in out:
            out[name] = str(out[name] or "").strip()
    for name in ("records_path", "cursor_path", "page_param", "page_size_param", "cursor_param"):
        if name in out:
            out[name] = str(out[name] or "").strip()
            if out[name] and not PATH.match(out[name]):
                errors[name] = _('letters, digits, "_" and "-", parts joined by "."')
    if not out.get("name"):
        errors["name"] = _("Give the connector a name.")
    for name, value in out.items():
        limit = (
            getattr(Connector._meta.get_field(name), "max_length", None)
            if name in EDITABLE
            else None
        )
        if limit and isinstance(value, str) and len(value) > limit:
            errors[name] = _("at most %(n)s characters") % {"n": limit}
    _check_url(out.get("url", ""), errors)
    _check_schedule(out.get("schedule", ""), errors)
    _check_field_map(source, out.get("field_map") or {}, errors)
    _check_params(out.get("params") or {}, errors)
    for name in ("field_map", "params"):
        value = out.get(name)
        out[name] = dict(value) if isinstance(value, dict) else (value or {})
    header, secret = out.get("auth_header", ""), out.get("auth_value", "")
    if header and not HEADER_NAME.match(header):
        errors["auth_header"] = _("an HTTP header name, e.g. Authorization or X-Api-Key")
    if secret and any(c in secret for c in "\r\n\0"):
        errors["auth_value"] = _("the value may not contain line breaks")
    elif secret and not header:
        errors["auth_header"] = _("name the header that carries the value")
    pagination = out.get("pagination", Pagination.NONE)
    if pagination not in Pagination.values:
        errors["pagination"] = _("choose one of %(choices)s") % {
            "choices": ", ".join(Pagination.values)
        }
    elif pagination == Pagination.CURSOR and not out.get("cursor_path"):
        errors["cursor_path"] = _("cursor pagination needs the path of the next cursor")
    elif pagination == Pagination.PAGE and not out.get("page_param", "page"):
        errors["page_param"] = _("page pagination needs the page parameter's name")
    for name, low, high in LIMITS:
        if name not in out or out[name] is None:
            continue
        try:
            number = float(out[name])
        except (TypeError, ValueError):
            errors[name] = _("a number")
            continue
        if not low <= number <= high:
            errors[name] = _("between %(low)s and %(high)s") % {"low": low, "high": high}
    if errors:
        raise ValidationFailed(
            _("Some fields are invalid: %(names)s.") % {"names": ", ".join(sorted(errors))},
            code="connector_invalid",
            fields=errors,
        )
    return out


@transaction.atomic
def connector_save(connector: Connector) -> Connector:
    """Validate and save; the next run is computed from the schedule when the schedule changed,
    the connector was (re-)enabled or had none; a disabled connector has no next run."""
    values = {name: getattr(connector, name) for name in EDITABLE}
    for name, value in connector_clean(source=connector.source, values=values).items():
        setattr(connector, name, value)
    before = (
        Connector.objects.filter(pk=connector.pk).values("schedule", "enabled").first()
        if connector.pk
        else None
    )
    if not connector.enabled:
        connector.next_run_at = None
    elif (
        before is None
        or before["schedule"] != connector.schedule
        or not before["enabled"]
        or connector.next_run_at is None
    ):
        connector.next_run_at = next_run(connector.schedule, timezone.now())
    connector.save()
    return connector


def connector_create(
    *,
    source: Source,
    name: str,
    url: str,
    schedule: str = "0 2 * * *",
    field_map: dict[str, str] | None = None,
    **options: Any,
) -> Connector:
    unknown = sorted(set(options) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(fields=dict.fromkeys(unknown, _("not a connector setting")))
    connector = Connector(
        source=source,
        name=name,
        url=url,
        schedule=schedule,
        field_map=dict(field_map or {}),
        **options,
    )
    return connector_save(connector)


def connector_update(*, connector: Connector, **changes: Any) -> Connector:
    """Change some settings. ``auth_value=None`` (or leaving it out) keeps the current secret;
    ``""`` removes it."""
    unknown = sorted(set(changes) - set(EDITABLE) - {"source"})
    if unknown:
        raise ValidationFailed(fields=dict.fromkeys(unknown, _("not a connector setting")))
    if changes.get("auth_value") is None:
        changes.pop("auth_value", None)
    fresh = Connector.objects.select_related("source").get(pk=connector.pk)
    for name, value in changes.items():
        setattr(fresh, name, value)
    return connector_save(fresh)


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
        try:
            following: dt.datetime | None = next_run(connector.schedule, now)
        except ValidationFailed as exc:
            # A schedule saved around the checks (by hand in the database, an old release):
            # park the connector (no next run) until someone saves a valid one.
            log.error(
                "connector %s (%s) has an invalid schedule %r, not run: %s",
                connector.pk,
                connector.name,
                connector.schedule,
                exc.message,
            )
            following = None
        # Compare-and-set: only one worker moves this slot forward.
        changes: dict[str, Any] = {"next_run_at": following}
        if following is not None:
            changes["last_run_at"] = now
        moved = Connector.objects.filter(pk=connector.pk, next_run_at=scheduled_for).update(
            **changes
        )
        return (connector, scheduled_for) if moved and following is not None else None


def connectors_run_due(*, now: dt.datetime | None = None) -> list[ConnectorRun]:
    """Run every enabled connector whose time has come (once, even after a long outage).

    One broken connector never stops the others: whatever goes wrong with it is logged and
    the loop goes on (the worker's every-minute task must not crash)."""
    now = now or timezone.now()
    runs = []
    ids = Connector.objects.filter(enabled=True, next_run_at__lte=now).values_list("pk", flat=True)
    for connector_id in list(ids):
        try:
            claimed = _claim(connector_id, now)
            if claimed is not None:
                connector, scheduled_for = claimed
                runs.append(connector_run(connector=connector, scheduled_for=scheduled_for))
        except Exception:
            log.exception("connector %s skipped: it could not be run", connector_id)
    return runs

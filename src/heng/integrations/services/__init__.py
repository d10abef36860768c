"""Writes of the integrations app (re-exported so callers import from one place)."""

from heng.integrations.services.batches import (
    Outcome,
    batch_commit,
    batch_ingest,
    batch_map,
    batch_preview,
    batch_queue,
    batch_revoke,
    batch_stage_upload,
    load_payload,
    payload_hash,
)
from heng.integrations.services.connectors import (
    connector_clean,
    connector_create,
    connector_run,
    connector_save,
    connector_update,
    connectors_run_due,
)
from heng.integrations.services.sources import metric_create, source_create

__all__ = [
    "Outcome",
    "batch_commit",
    "batch_ingest",
    "batch_map",
    "batch_preview",
    "batch_queue",
    "batch_revoke",
    "batch_stage_upload",
    "connector_clean",
    "connector_create",
    "connector_run",
    "connector_save",
    "connector_update",
    "connectors_run_due",
    "load_payload",
    "metric_create",
    "payload_hash",
    "source_create",
]

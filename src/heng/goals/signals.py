"""Goals listens to data integration (connected in :class:`heng.goals.apps.GoalsConfig`).

Integrations may not import goals (the layers in ``pyproject.toml``), so it announces every
committed batch on :data:`heng.core.hooks.batch_committed`, after the commit; here that
queues a pace check for the background worker. If the queue is down nothing is lost: the
every-minute safety net (``check_pace_after_ingestion``) notices the batch.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

log = logging.getLogger(__name__)


def on_batch_committed(*, batch_id: int, **_kwargs: Any) -> None:
    from heng.goals.services import pace_check_after_ingestion

    try:
        pace_check_after_ingestion(batch_id=batch_id, committed_after=timezone.now())
    except Exception:  # the batch is committed whatever happens here
        log.exception(
            "could not queue the pace check after batch %s; the safety net will", batch_id
        )

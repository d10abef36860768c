"""Hooks: how a lower app tells a higher one that something happened, without importing it.

The apps depend downward (the import-linter layers in ``pyproject.toml``): data integration
may not import goals, and nothing below the notifications app may import it. So the lower app
announces here and the higher app listens, connecting in its ``AppConfig.ready``:

- :data:`batch_committed` — sent by data integration right after a batch of facts has been
  committed (from ``transaction.on_commit``, so the facts are visible to every reader), with
  ``batch_id``, ``source_id`` and ``committed_at``. Goals queues a pace check on it.
- the notification sender (:func:`heng.core.notifications.register_sender`): the
  notifications app takes over :func:`heng.core.notifications.notify` so that reminders from
  any app also go out on each recipient's channels (e-mail, IM robots).

Receivers must be quick and must not raise: the writer's transaction is already committed.
"""

from __future__ import annotations

from django.dispatch import Signal

batch_committed = Signal()

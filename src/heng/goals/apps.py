from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "heng.goals"
    label = "goals"
    verbose_name = "目标与跟踪"

    def ready(self) -> None:
        from heng.core.hooks import batch_committed
        from heng.goals.signals import on_batch_committed

        # After every committed batch of facts: a pace check (alerts within seconds).
        batch_committed.connect(on_batch_committed, dispatch_uid="goals.pace_after_batch")

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "heng.notifications"
    label = "notifications"
    verbose_name = "通知渠道"

    def ready(self) -> None:
        # Reminders of the lower apps (cycles, approvals, contracts) call core's notify(),
        # which may not import this app: take it over so they reach every channel too.
        from heng.core.notifications import register_sender
        from heng.notifications.services import send

        register_sender(send)

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "heng.notifications"
    label = "notifications"
    verbose_name = "通知渠道"

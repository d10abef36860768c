from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "heng.core"
    label = "core"
    verbose_name = "核心"

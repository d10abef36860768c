from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "heng.performance"
    label = "performance"
    verbose_name = "绩效"

    def ready(self) -> None:
        from heng.performance.services.audit import register_labels

        register_labels()

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "heng.integrations"
    label = "integrations"
    verbose_name = "数据集成"

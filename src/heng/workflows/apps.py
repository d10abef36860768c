from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "heng.workflows"
    label = "workflows"
    verbose_name = "审批"

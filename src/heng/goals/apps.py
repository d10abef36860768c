from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "heng.goals"
    label = "goals"
    verbose_name = "目标与跟踪"

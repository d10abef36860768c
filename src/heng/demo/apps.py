from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "heng.demo"
    label = "demo"
    verbose_name = "Demo"

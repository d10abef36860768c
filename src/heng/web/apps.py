from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "heng.web"
    label = "web"
    verbose_name = "Web"

from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "heng.org"
    label = "org"
    verbose_name = "组织"

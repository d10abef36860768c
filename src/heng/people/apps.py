from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "heng.people"
    label = "people"
    verbose_name = "人员"

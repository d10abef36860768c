from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "heng.accounts"
    label = "accounts"
    verbose_name = "账户"

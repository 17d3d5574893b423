from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openaims.accounts"
    label = "accounts"
    verbose_name = "Accounts"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses: the domain error, roles, API tokens and account pages, view helpers."""

    name = "core"
    verbose_name = "LeadBridge core"

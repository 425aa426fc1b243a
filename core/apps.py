from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """What every app uses: the domain error, roles, API tokens and account pages, view helpers,
    and the periodic tasks' schedules (core.schedules, written into Celery beat on migrate)."""

    name = "core"
    verbose_name = "LeadBridge core"

    def ready(self) -> None:
        from core import checks, statement_timeout  # noqa: F401  (registered on import)
        from core.schedules import periodic_tasks_sync_after_migrate

        # Once per migrate: post_migrate is sent for each app with models, and core has none.
        post_migrate.connect(
            periodic_tasks_sync_after_migrate,
            sender=apps.get_app_config("django_celery_beat"),
            dispatch_uid="core.schedules.periodic_tasks_sync",
        )

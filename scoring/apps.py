from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _sqlite_math(sender, connection, **kwargs):
    """The engine's decay uses power(); make sure SQLite builds without math functions have it."""
    if connection.vendor != "sqlite":
        return
    try:
        connection.connection.execute("SELECT power(2, 2)")
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such function
        connection.connection.create_function("power", 2, pow, deterministic=True)


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self) -> None:
        from leads import hooks
        from scoring.demo import demo_model_seed
        from scoring.filters import ContactScoreFilter
        from scoring.rescore.queue import contacts_rescore_queue
        from scoring.score_panel import score_column, score_panel_for_page

        connection_created.connect(_sqlite_math, dispatch_uid="scoring_sqlite_math")
        hooks.contacts_changed.register(contacts_rescore_queue)
        hooks.contact_filters.register(ContactScoreFilter)
        hooks.contact_page_panels.register(score_panel_for_page)
        hooks.contact_list_columns.register(score_column)
        hooks.demo_seed.register(demo_model_seed)

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
        connection_created.connect(_sqlite_math, dispatch_uid="scoring_sqlite_math")

"""How long one SQL statement may run, for a web request and for each kind of task.

A runaway query (a filter nobody indexed, a planner without statistics) must end with a clear
error instead of holding a gunicorn worker or a Celery process for minutes. PostgreSQL enforces
`statement_timeout` per session: web requests get `DB_STATEMENT_TIMEOUT` (a session opens with
it; `StatementTimeoutMiddleware` sets it only where it differs), tasks get their own limit from
`config.celery` before each task runs, and management commands (bulk loads, migrations) keep
the server's default. SQLite has no such setting; there this module does nothing.
"""

import psycopg.errors
from django.conf import settings
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from core.http import refusal


def statement_timeout_set(*, seconds: int) -> None:
    """Limit each statement of this database session to `seconds` (0: no limit)."""
    if connection.vendor != "postgresql":
        return
    connection.ensure_connection()
    key = (connection.connection.info.backend_pid, seconds)
    if getattr(connection, "statement_timeout_key", None) == key:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds}s"])
    # Inside a transaction a rollback would undo it: only a setting made outside one is kept.
    if not connection.in_atomic_block:
        connection.statement_timeout_key = key


@receiver(connection_created)
def _session_opened(sender, connection, **kwargs):
    """Note the limit the session opened with (settings.DB_CONNECT_STATEMENT_TIMEOUT)."""
    if connection.vendor == "postgresql" and settings.DB_CONNECT_STATEMENT_TIMEOUT is not None:
        key = (connection.connection.info.backend_pid, settings.DB_CONNECT_STATEMENT_TIMEOUT)
        connection.statement_timeout_key = key


def is_statement_timeout(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and isinstance(
        exc.__cause__, psycopg.errors.QueryCanceled
    )


class StatementTimeoutMiddleware:
    """Sets the web limit on the request's connection and answers a timed-out request with a
    503 that says what happened (JSON under /api/, a page elsewhere), never a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        statement_timeout_set(seconds=settings.DB_STATEMENT_TIMEOUT)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_statement_timeout(exception):
            return None
        message = (
            f"The request took longer than the server allows ({settings.DB_STATEMENT_TIMEOUT} s "
            "for one database statement) and was stopped. Narrow the filters or try again later."
        )
        return refusal(request, message=message, status=503, template="503.html")

"""The database beneath the services: lock conflicts between transactions, and planner statistics.

Lock conflicts (a deadlock, a serialization failure, a lock not granted): services take their
row locks in one order (handoff.services.locking), so two of them should never deadlock; when
PostgreSQL still refuses a transaction for one of these reasons, `retry_lock_conflicts` runs it
again a few times and then raises ConflictError (a 409), never a 500. Whatever escapes a service is answered 409 too: the API's exception handler and
core.middleware.RefusedMiddleware for pages.

Planner statistics for tables just filled in bulk: PostgreSQL plans from the statistics ANALYZE
gathers, and autovacuum refreshes them some time after a bulk write (not at all where it is
off), so a rescore straight after an import could be planned for an empty table. The bulk paths
(demo seed, generated data, contact and event imports) call `analyze` on the tables they filled
before scoring is queued; a full rescore and a draft preview call `analyze_missing` first, which
only analyzes a table that has never had statistics (one catalog query otherwise). SQLite plans
well enough without statistics (and the engine's statements are tuned for that): both do nothing
there.
"""

import functools
import time
from collections.abc import Callable

import psycopg.errors
from django.db import OperationalError, connection, transaction

from core.exceptions import ConflictError

LOCK_CONFLICTS = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
    psycopg.errors.LockNotAvailable,
)
CONFLICT_MESSAGE = (
    "Someone else was changing the same records at the same moment; nothing was saved. "
    "Reload and try again."
)


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock, serialization failure or refused lock, as Django raises it."""
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, LOCK_CONFLICTS)


def retry_lock_conflicts(func: Callable | None = None, *, attempts: int = 3):
    """Run `func` in its own transaction, again (up to `attempts` times in all) when the
    database refuses it for a lock conflict; then raise ConflictError. Inside an outer
    transaction a retry could not start afresh: the conflict becomes ConflictError at once."""

    def decorate(inner: Callable) -> Callable:
        @functools.wraps(inner)
        def run(*args, **kwargs):
            nested = connection.in_atomic_block
            for attempt in range(1, attempts + 1):
                try:
                    with transaction.atomic():
                        return inner(*args, **kwargs)
                except OperationalError as error:
                    if not is_lock_conflict(error):
                        raise
                    if nested or attempt == attempts:
                        raise ConflictError(CONFLICT_MESSAGE, code="conflict") from error
                    time.sleep(0.05 * attempt)
            raise AssertionError("unreachable")

        return run

    return decorate(func) if func is not None else decorate


def _table(item) -> str:
    return item if isinstance(item, str) else item._meta.db_table


def _vendor_pg() -> bool:
    return connection.vendor == "postgresql"


def analyze(*models_or_tables) -> None:
    """ANALYZE each given table (a model class or a table name); in the current transaction,
    whose own new rows it counts."""
    if not _vendor_pg():
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for item in dict.fromkeys(_table(t) for t in models_or_tables):
            cursor.execute(f"ANALYZE {quote(item)}")


def tables_without_statistics(*models_or_tables) -> list[str]:
    """The given tables that were never analyzed (by hand or by autovacuum), or whose row count
    the planner does not know (pg_class.reltuples < 0)."""
    if not _vendor_pg():
        return []
    tables = list(dict.fromkeys(_table(t) for t in models_or_tables))
    if not tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the current counters, not a cache
        cursor.execute(
            "SELECT c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
            " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE c.relname = ANY(%s) AND c.relkind IN ('r', 'p')"
            " AND ((s.last_analyze IS NULL AND s.last_autoanalyze IS NULL) OR c.reltuples < 0)",
            [tables],
        )
        missing = {row[0] for row in cursor.fetchall()}
    return [t for t in tables if t in missing]


def analyze_missing(*models) -> list[str]:
    """ANALYZE those of the given tables that have no statistics yet; returns their names."""
    missing = tables_without_statistics(*models)
    analyze(*missing)
    return missing

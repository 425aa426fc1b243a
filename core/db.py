"""Lock conflicts between transactions: a deadlock, a serialization failure, a lock not granted.

Services take their row locks in one order (handoff.services.locking), so two of them should
never deadlock; when PostgreSQL still refuses a transaction for one of these reasons,
`retry_lock_conflicts` runs it again a few times and then raises ConflictError (a 409), never
a 500. Whatever escapes a service is answered 409 too: the API's exception handler and
core.middleware.RefusedMiddleware for pages.
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

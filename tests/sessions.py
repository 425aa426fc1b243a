"""Raw PostgreSQL sessions beside Django's connection, for tests that interleave row locks."""

import time

import psycopg
from django.db import connection


def session(autocommit=False) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=autocommit,
    )


def deadlocks(monitor) -> int:
    monitor.execute("SELECT pg_stat_clear_snapshot()")
    return monitor.execute(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()[0]


def wait_for_waiters(monitor, n: int) -> None:
    """Until `n` sessions of this database wait for a lock."""
    for _ in range(200):
        monitor.execute("SELECT pg_stat_clear_snapshot()")
        waiting = monitor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        if waiting >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{n} sessions never queued for the lock")

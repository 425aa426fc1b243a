"""Writing generated rows: COPY on PostgreSQL, executemany elsewhere; ids, timestamps, indexes."""

import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection

from leads.imports.events_postgres import event_indexes_drop, events_estimated_rows
from leads.models import ActivityEvent


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def write_rows(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Write rows of strings (None is NULL): COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, len(rows), 20_000):
                    copy.write(
                        "".join(
                            "\t".join(r"\N" if v is None else v for v in row) + "\n"
                            for row in rows[start : start + 20_000]
                        )
                    )
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys for `count` new rows, so children can point at them before COPY."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the write transaction holds the database lock, max(id) cannot move under us.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


@contextmanager
def event_indexes_dropped(*, mode: str = "auto", adding: int, log: Callable[[str], None] = print):
    """PostgreSQL: drop the events' plain (non-unique) indexes and foreign key for a huge load,
    and restore them afterwards from their own definitions, whatever happens in between.

    Each index roughly halves COPY speed; one sorted build at the end is much cheaper than
    20 million random inserts into it. The unique (source, external_id) index stays, so
    idempotency holds during the load. Queries on events are slow until the rebuild is done:
    meant for loading benchmark databases, not a live system. `mode` is "yes", "no" or "auto"
    (when adding at least 1,000,000 events and more than the table holds).
    """
    table = ActivityEvent._meta.db_table
    if not is_postgres() or mode == "no":
        yield
        return
    with connection.cursor() as cursor:
        existing = events_estimated_rows(cursor)
        if mode == "auto" and (adding < 1_000_000 or adding <= existing):
            yield
            return
        indexes = event_indexes_drop(cursor)
        # The foreign key to contacts too: a per-row trigger, queued until commit; re-adding it
        # checks every row in one join.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        foreign_keys = cursor.fetchall()
        for name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        log(
            f"dropped {len(indexes)} event indexes and {len(foreign_keys)} foreign key(s) for the "
            f"load: {', '.join(n for n, _ in indexes + foreign_keys)}"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in foreign_keys:
                started = time.perf_counter()
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                log(f"re-added and checked {name} in {time.perf_counter() - started:.1f} s")
            for name, definition in indexes:
                started = time.perf_counter()
                cursor.execute(definition)
                log(f"rebuilt index {name} in {time.perf_counter() - started:.1f} s")
            cursor.execute("RESET maintenance_work_mem")
            cursor.execute(f"ANALYZE {table}")


class Clock:
    """Timestamps as text, fast: whole seconds before `now`, in UTC."""

    def __init__(self, now: datetime):
        self.now = now.astimezone(UTC).replace(microsecond=0)
        self.epoch = int(self.now.timestamp())
        self.suffix = "+00" if is_postgres() else ""
        self._days: dict[int, str] = {}
        self._seconds = [
            f" {h:02d}:{m:02d}:{s:02d}{self.suffix}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]

    def text(self, seconds_ago: float) -> str:
        ts = self.epoch - int(seconds_ago)
        day, second = divmod(ts, 86400)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        return prefix + self._seconds[second]

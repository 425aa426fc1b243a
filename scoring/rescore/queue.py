"""Incremental rescoring: a changed contact is rescored within seconds, deduplicated.

contacts_rescore_queue(contact_ids=...) is called by the writes that can change a score (events
from the API, contact and company changes, the contact CSV import). When the transaction
commits, the contacts get a pending marker (RescorePending) with INSERT ... ON CONFLICT DO
NOTHING; only contacts that had none are sent to a task, after DEBOUNCE_SECONDS. The task claims
the markers (DELETE ... RETURNING) in the same transaction that rescores, so a burst of 1,000
events for one contact gives about one task: every event committed before the claim is in the
rescore, and one committed after it sets a new marker and queues the next task.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from scoring.models import RescorePending

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 2
TASK_IDS = 1_000  # contacts per task


def contacts_rescore_queue(*, contact_ids: Iterable[int]) -> None:
    """Rescore these contacts soon after the current transaction commits (nothing if it rolls back)."""
    ids = sorted({int(pk) for pk in contact_ids})
    if ids:
        transaction.on_commit(lambda: _mark_and_send(ids), robust=True)


def _mark_and_send(ids: list[int]) -> None:
    from scoring import tasks

    for start in range(0, len(ids), TASK_IDS):
        fresh = pending_mark(contact_ids=ids[start : start + TASK_IDS], now=timezone.now())
        if fresh:
            tasks.contacts_rescore_task.apply_async(args=[fresh], countdown=DEBOUNCE_SECONDS)


def _table() -> str:
    return RescorePending._meta.db_table


def pending_mark(*, contact_ids: list[int], now: datetime) -> list[int]:
    """Give these contacts a pending marker; returns the ones that had none (to be sent)."""
    if not contact_ids:
        return []
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {_table()} (contact_id, queued_at) SELECT unnest(%s::bigint[]), %s"
                " ON CONFLICT (contact_id) DO NOTHING RETURNING contact_id",
                [contact_ids, at],
            )
        else:
            values = ", ".join(["(%s, %s)"] * len(contact_ids))
            cursor.execute(
                f"INSERT INTO {_table()} (contact_id, queued_at) VALUES {values}"
                " ON CONFLICT (contact_id) DO NOTHING RETURNING contact_id",
                [p for pk in contact_ids for p in (pk, at)],
            )
        return sorted(row[0] for row in cursor.fetchall())


def pending_claim(
    *, contact_ids: list[int] | None = None, before: datetime | None = None
) -> list[int]:
    """Remove the markers of these contacts (or of all queued before `before`); returns whose.

    Run it in the transaction that rescores them: if that rolls back, the markers come back.
    """
    where, params = [], []
    if contact_ids is not None:
        if not contact_ids:
            return []
        where.append(f"contact_id IN ({', '.join(['%s'] * len(contact_ids))})")
        params += list(contact_ids)
    if before is not None:
        where.append("queued_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(before))
    sql = f"DELETE FROM {_table()}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING contact_id", params)
        return sorted(row[0] for row in cursor.fetchall())

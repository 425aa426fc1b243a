"""The one lock order for every write that touches a contact and its MQLs.

Lock order (every service takes what it needs in this order, never the reverse):

1. contacts, ``FOR UPDATE``, by id (as leads.services.stage_change and stage_change_bulk do);
2. their MQLs, ``FOR NO KEY UPDATE``, by id (a breach or a decision row that only references
   an MQL is not blocked);
3. the team members the write counts or changes (assignment, caps), ``FOR NO KEY UPDATE``, by id;
4. the MQLs' SLA clocks, ``FOR NO KEY UPDATE``, by id (the SLA scan locks only clocks).

Decisions (feedback's accept / reject), reassignment (one MQL or many), touches, assignment and
closing an MQL when its contact's stage moves all call `mqls_lock` inside their transaction
before they write, so two of them wait for each other instead of deadlocking; the later one then
finds the MQL changed and raises ConflictError (409). What PostgreSQL still refuses is retried by
core.db.retry_lock_conflicts.
"""

from collections.abc import Iterable

from django.db import connection

from handoff.models import Mql, SlaClock, TeamMember
from leads.models import Contact


def mqls_lock(
    *,
    mql_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
    team_ids: Iterable[int] = (),
    clocks: bool = True,
) -> dict[int, Mql]:
    """Inside a transaction, lock in the order above: the contacts (those given and those of the
    given MQLs), the given MQLs, the team members of `team_ids`, the MQLs' clocks (if `clocks`).
    Returns the MQLs as they are once locked, by id."""
    if not connection.in_atomic_block:
        raise RuntimeError("mqls_lock holds its locks until the commit: call it in a transaction")
    mql_ids = sorted(set(mql_ids))
    contacts = set(contact_ids)
    if mql_ids:  # an MQL's contact never changes: read without a lock
        contacts |= set(Mql.objects.filter(pk__in=mql_ids).values_list("contact_id", flat=True))
    if contacts:
        list(
            Contact.objects.select_for_update()
            .filter(pk__in=sorted(contacts))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    locked = {}
    if mql_ids:
        locked = {
            m.pk: m
            for m in Mql.objects.select_for_update(no_key=True)
            .filter(pk__in=mql_ids)
            .order_by("pk")
        }
    team_ids = sorted(set(team_ids))
    if team_ids:
        list(
            TeamMember.objects.select_for_update(no_key=True)
            .filter(team_id__in=team_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if clocks and mql_ids:
        list(
            SlaClock.objects.select_for_update(no_key=True)
            .filter(mql_id__in=mql_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return locked

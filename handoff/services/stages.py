"""The queue follows the contact's lifecycle stage, whoever moves it: a contact that enters
`mql` gets an MQL, one that leaves it otherwise than by sales' decision has its MQL closed."""

from datetime import datetime

from django.db.models import Case, Value, When

from handoff.models import Mql, MqlStatus, SlaKind
from handoff.services.clocks import clocks_stop
from handoff.services.locking import mqls_lock
from handoff.services.mqls import mqls_open
from handoff.services.notifications import notify_many
from leads.models import LifecycleStage, StageChange


def mqls_follow_stages(*, changes: list[StageChange], now: datetime) -> None:
    """The sales queue follows the stage, whoever moved it (leads.hooks.stage_changed, inside
    the stage writer's transaction): a contact that enters `mql` gets an open MQL, routed to a
    rep on commit (by scoring or by hand alike); one that leaves `mql` otherwise than by the
    queue's accept / reject has its open MQL closed."""
    if any(change.from_stage == LifecycleStage.MQL for change in changes):
        mqls_close_outside_queue(changes=changes)
    entered = [change.contact_id for change in changes if change.to_stage == LifecycleStage.MQL]
    if entered:
        mqls_open(contact_ids=entered, now=now)


def mqls_close_outside_queue(*, changes: list[StageChange]) -> list[int]:
    """Contacts that left stage `mql` otherwise than by the queue's accept / reject (a stage
    change through the contact API or page, an admin moving one back, a bulk move): close
    their open MQLs, recording the stage change (who, why, where to); their SLA clocks stop,
    so they leave the queue and never breach; the owner is told. Called by
    leads.services.stage_change / stage_change_bulk, the one writer of stages, in the same
    transaction. After the queue's own decision the MQL is no longer open: nothing to do.
    Returns the ids of the MQLs closed. A contact that qualifies again gets a new MQL.
    """
    by_contact = {c.contact_id: c for c in changes if c.from_stage == LifecycleStage.MQL}
    if not by_contact:
        return []
    now = max(c.changed_at for c in by_contact.values())
    closing = list(
        Mql.objects.filter(contact_id__in=list(by_contact), status=MqlStatus.OPEN)
        .select_related("contact", "owner")
        .order_by("pk")
    )
    if not closing:
        return []
    mqls_lock(contact_ids=list(by_contact), mql_ids=[m.pk for m in closing])
    Mql.objects.filter(pk__in=[m.pk for m in closing], status=MqlStatus.OPEN).update(
        status=MqlStatus.CLOSED,
        decided_at=now,
        closed_by_change_id=Case(
            *[When(contact_id=cid, then=Value(c.pk)) for cid, c in by_contact.items()]
        ),
    )
    ids = [m.pk for m in closing]
    clocks_stop(mql_ids=ids, kinds=SlaKind.values, now=now)
    notify_many(
        [
            (
                mql.owner,
                f"MQL {mql.contact} closed: {_close_reason(by_contact[mql.contact_id])}",
                mql,
            )
            for mql in closing
            if mql.owner is not None and mql.owner_id != by_contact[mql.contact_id].actor_user_id
        ],
        now=now,
        subject="MQLs closed outside the queue",
    )
    return ids


def _close_reason(change: StageChange) -> str:
    who = change.actor_user.get_username() if change.actor_user_id else change.actor_system
    return f"moved to {change.to_stage} by {who} ({change.reason})"

"""Acting on an MQL: touches and the accept / reject decision in the queue, and closing the
MQLs of contacts that left stage `mql` outside the queue."""

from datetime import datetime

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from core.exceptions import ConflictError, DomainError
from core.roles import is_admin
from feedback.models import Decision, Disposition, Outcome, RejectReason
from handoff.models import Mql, MqlStatus, SlaKind, Touch
from handoff.selectors import managed_team_ids
from handoff.services.clocks import clocks_stop
from handoff.services.mqls import mqls_open
from handoff.services.notifications import notify_many
from leads.models import Contact, LifecycleStage, StageChange
from leads.services import stage_change


def mql_can_act(*, user, mql: Mql) -> bool:
    """The owner, a manager of its team, or an admin."""
    return (
        mql.owner_id == user.pk
        or is_admin(user)
        or (mql.team_id is not None and mql.team_id in managed_team_ids(user))
    )


def _require_open(mql: Mql, by) -> None:
    if not mql_can_act(user=by, mql=mql):
        raise DomainError("Only the owner or a manager of its team can act on this MQL.")
    if mql.status != MqlStatus.OPEN:
        raise ConflictError(f"This MQL is already {mql.get_status_display().lower()}.")


def mql_touch(*, mql: Mql, by, kind: str, note: str = "", now: datetime | None = None) -> Touch:
    """Log a call, email or meeting; the first one stops the first-touch clock."""
    from handoff.models import TouchKind

    now = now or timezone.now()
    if kind not in TouchKind.values:
        raise DomainError("Choose call, email or meeting.", field="kind")
    _require_open(mql, by)
    with transaction.atomic():
        touch = Touch.objects.create(mql=mql, kind=kind, note=note.strip()[:5000], by=by, at=now)
        first = Mql.objects.filter(pk=mql.pk, first_touch_at__isnull=True).update(
            first_touch_at=now
        )
        if first:
            clocks_stop(mql_ids=[mql.pk], kinds=[SlaKind.FIRST_TOUCH], now=now)
    return touch


def mql_accept(*, mql: Mql, by, note: str = "", now: datetime | None = None) -> Decision:
    """The rep takes the lead: the contact becomes an SQL."""
    return _decide(mql=mql, by=by, outcome=Outcome.ACCEPT, comment=note, now=now)


def mql_reject(
    *,
    mql: Mql,
    by,
    reason: RejectReason | None,
    comment: str = "",
    disposition: str,
    now: datetime | None = None,
) -> Decision:
    """The rep turns the lead down with a reason; it goes back to nurture or is disqualified."""
    if reason is None or not reason.is_active:
        raise DomainError("Choose a reason from the list.", field="reason")
    if disposition not in Disposition.values:
        raise DomainError("Choose nurture or disqualified.", field="disposition")
    return _decide(
        mql=mql,
        by=by,
        outcome=Outcome.REJECT,
        reason=reason,
        comment=comment,
        disposition=disposition,
        now=now,
    )


def _decide(*, mql: Mql, by, outcome, comment, now, reason=None, disposition="") -> Decision:
    now = now or timezone.now()
    _require_open(mql, by)
    with transaction.atomic():
        # The contact first, as stage_change locks it: a stage change racing this decision
        # (which closes the MQL) waits for it, or wins and this one finds the MQL closed.
        Contact.objects.select_for_update().filter(pk=mql.contact_id).values_list("pk").get()
        won = Mql.objects.filter(pk=mql.pk, status=MqlStatus.OPEN, owner_id=mql.owner_id).update(
            status=MqlStatus.ACCEPTED if outcome == Outcome.ACCEPT else MqlStatus.REJECTED,
            decided_at=now,
        )
        if won != 1:
            current = Mql.objects.select_related("owner").get(pk=mql.pk)
            if current.status == MqlStatus.OPEN:
                raise ConflictError(f"This MQL was reassigned to {current.owner} meanwhile.")
            raise ConflictError(
                f"This MQL was {current.get_status_display().lower()} meanwhile by someone else."
            )
        contact = mql.contact
        decision = Decision.objects.create(
            mql=mql,
            outcome=outcome,
            reason=reason,
            comment=comment.strip()[:5000],
            disposition=disposition,
            by=by,
            decided_at=now,
            time_to_decision=now - mql.qualified_at,
            team_id=mql.team_id,
            source=contact.source,
            campaign=contact.campaign,
            scoring_model_id=mql.scoring_model_id,
            model_version_id=mql.model_version_id,
            rule_keys=[item["rule"] for item in mql.breakdown],
            snapshot={
                "fit": mql.fit,
                "engagement": mql.engagement,
                "total": mql.total,
                "grade": mql.grade,
                "breakdown": mql.breakdown,
            },
        )
        clocks_stop(mql_ids=[mql.pk], kinds=SlaKind.values, now=now)
        to_stage = LifecycleStage.SQL if outcome == Outcome.ACCEPT else disposition
        why = "Accepted by sales" if outcome == Outcome.ACCEPT else f"Rejected: {reason.label}"
        stage_change(
            contact=contact,
            to_stage=to_stage,
            reason=f"{why}. {comment.strip()}".strip()[:1000],
            by=by,
            now=now,
        )
    mql.status, mql.decided_at = Mql.objects.values_list("status", "decided_at").get(pk=mql.pk)
    return decision


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

"""Writes of the feedback: sales' decision on an MQL, accept or reject, for the queue's pages
and the API alike.

The decision settles the MQL through handoff's public services (who may act, still open, the
conditional status change, the clocks) and moves the contact's stage through leads'
stage_change, all in one transaction; the Decision row is what marketing reads back.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.db import retry_lock_conflicts
from core.exceptions import DomainError
from feedback.models import Decision, Disposition, Outcome, RejectReason
from handoff.models import Mql, MqlStatus
from handoff.services import mql_require_open, mql_settle
from leads.models import LifecycleStage
from leads.services import stage_change

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def mql_accept(*, mql: Mql, by: "User", note: str = "", now: datetime | None = None) -> Decision:
    """The rep takes the lead: the contact becomes an SQL."""
    return _decide(mql=mql, by=by, outcome=Outcome.ACCEPT, comment=note, now=now)


def mql_reject(
    *,
    mql: Mql,
    by: "User",
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


def _decide(
    *,
    mql: Mql,
    by: "User",
    outcome: Outcome,
    comment: str,
    now: datetime | None,
    reason: RejectReason | None = None,
    disposition: str = "",
) -> Decision:
    now = now or timezone.now()
    mql_require_open(mql=mql, by=by)
    return _decision_record(
        mql=mql,
        by=by,
        outcome=outcome,
        comment=comment,
        now=now,
        reason=reason,
        disposition=disposition,
    )


@retry_lock_conflicts
def _decision_record(
    *,
    mql: Mql,
    by: "User",
    outcome: Outcome,
    comment: str,
    now: datetime,
    reason: RejectReason | None,
    disposition: str,
) -> Decision:
    """Settle the MQL (which takes the locks in handoff's one order), record the decision, move
    the contact's stage: one transaction, retried on a lock conflict."""
    with transaction.atomic():
        mql_settle(
            mql=mql,
            status=MqlStatus.ACCEPTED if outcome == Outcome.ACCEPT else MqlStatus.REJECTED,
            now=now,
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

"""A small decided-MQL history for the calibration and backtest tests, built through the
services that write it in production: a score, the MQL opened and assigned by the handoff, the
rep's accept or reject, a won deal."""

from datetime import datetime, timedelta

from feedback.models import RejectReason
from feedback.services import mql_accept, mql_reject
from handoff.models import Mql, MqlStatus
from handoff.services import mqls_assign, mqls_open
from insights.models import Deal, DealStage
from leads.models import Contact, LifecycleStage
from leads.services import stage_change
from scoring.models import ContactScore, ModelVersion
from tests.factories import ContactFactory


def decided_mql(
    *,
    version: ModelVersion,
    outcome: str,
    qualified_at: datetime,
    decided_at: datetime | None = None,
    fit: float = 60,
    engagement: float = 30,
    fired: tuple[str, ...] = (),
    reason: str = "not_icp",
    contact=None,
    campaign: str = "spring",
    **contact_fields,
) -> Mql:
    """A contact scored under `version` (rules `fired`), opened as an MQL at `qualified_at`,
    assigned to the fallback team's rep and accepted or rejected at `decided_at`. A `contact`
    already decided qualifies again (moved back to mql, as the scoring does)."""
    contact = contact or ContactFactory(
        lifecycle_stage=LifecycleStage.MQL, campaign=campaign, **contact_fields
    )
    # As the engine leaves it (a rescore on commit may have scored the contact already).
    ContactScore.objects.update_or_create(
        contact=contact,
        model=version.model,
        defaults={
            "model_version": version,
            "fit": fit,
            "engagement": engagement,
            "total": fit + engagement,
            "grade": "A",
            "mql_eligible": True,
            "blocked_by": "",
            "breakdown": [{"rule": key, "points": 10.0} for key in fired],
            "scored_at": qualified_at,
        },
    )
    stage = Contact.objects.values_list("lifecycle_stage", flat=True).get(pk=contact.pk)
    if stage == LifecycleStage.MQL:
        [mql_id] = mqls_open(contact_ids=[contact.pk], now=qualified_at)
    else:  # qualifying again: the scoring moves it back to mql, which opens its next MQL
        stage_change(
            contact=contact, to_stage=LifecycleStage.MQL, reason="Qualified again",
            system="scoring", now=qualified_at,
        )  # fmt: skip
        mql_id = Mql.objects.get(contact=contact, status=MqlStatus.OPEN).pk
    mqls_assign(mql_ids=[mql_id], now=qualified_at)
    mql = Mql.objects.select_related("contact", "owner").get(pk=mql_id)
    decided_at = decided_at or qualified_at + timedelta(hours=2)
    if outcome == "accept":
        mql_accept(mql=mql, by=mql.owner, now=decided_at)
    else:
        mql_reject(
            mql=mql,
            by=mql.owner,
            reason=RejectReason.objects.get(code=reason),
            disposition="nurture",
            now=decided_at,
        )
    return mql


def won_deal(*, contact, at: datetime, amount: int = 1000) -> Deal:
    return Deal.objects.create(
        contact=contact,
        name=f"Deal of {contact.email}",
        amount=amount,
        stage=DealStage.WON,
        created_at=at,
        closed_at=at + timedelta(days=1),
    )

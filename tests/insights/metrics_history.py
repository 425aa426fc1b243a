"""A small hand-computed history for the metric tests (see test_metrics.py for the table).

Test modules import the fixture functions (`funnel_history_fixture`, `funnel_now_fixture`) and
ask for them by name (`funnel_history`, `funnel_now`)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from feedback.models import Decision, Disposition, Outcome, RejectReason
from handoff.models import MqlStatus, SlaClock, SlaKind, SlaPolicy
from insights.metrics.filters import MetricFilters
from insights.models import CampaignSpend, Deal, DealStage
from leads.models import StageChange
from tests.factories import ContactFactory, MqlFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
H = 3600


def at(month, day, hour=0):
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def march(**kwargs) -> MetricFilters:
    return MetricFilters(start=at(3, 1), end=at(4, 1), **kwargs)


def reach(contact, *stages_at):
    previous = "mql"
    for stage, when in stages_at:
        StageChange.objects.create(
            contact=contact,
            from_stage=previous,
            to_stage=stage,
            changed_at=when,
            actor_system="tests",
            reason="history",
        )
        previous = stage


def deal(contact, amount, stage, created, closed=None):
    return Deal.objects.create(
        contact=contact,
        name=f"Deal {amount}",
        amount=Decimal(amount),
        stage=stage,
        created_at=created,
        closed_at=closed,
    )


@pytest.fixture(name="funnel_now")
def funnel_now_fixture():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture(name="funnel_history")
def funnel_history_fixture(funnel_now, people, team):
    rep1, rep2 = people["rep"], people["other_rep"]

    def mql(name, opened, owner, source, campaign, **kwargs):
        contact = ContactFactory(first_name=name, source=source, campaign=campaign)
        return MqlFactory(
            contact=contact,
            qualified_at=opened,
            owner=owner,
            team=team,
            source=source,
            campaign=campaign,
            **kwargs,
        )

    m0 = mql("m0", at(2, 15, 9), rep1, "webinar", "spring", status=MqlStatus.CLOSED)
    m1 = mql(
        "m1",
        at(3, 2, 10),
        rep1,
        "webinar",
        "spring",
        status=MqlStatus.ACCEPTED,
        first_touch_at=at(3, 2, 12),
        decided_at=at(3, 3, 10),
        grade="A",
        total=85,
    )
    m2 = mql(
        "m2",
        at(3, 6, 16),
        rep1,
        "webinar",
        "spring",
        status=MqlStatus.ACCEPTED,
        first_touch_at=at(3, 9, 10),
        decided_at=at(3, 9, 11),
        grade="B",
        total=62,
    )
    m3 = mql(
        "m3",
        at(3, 10, 9),
        rep2,
        "ads",
        "summer",
        status=MqlStatus.REJECTED,
        decided_at=at(3, 11, 9),
        grade="C",
        total=41,
    )
    m4 = mql("m4", at(3, 20, 9), rep2, "ads", "summer", first_touch_at=at(3, 20, 13), total=55)
    reach(
        m1.contact, ("sql", at(3, 3, 10)), ("opportunity", at(3, 10)), ("customer", at(4, 20, 10))
    )
    reach(m2.contact, ("sql", at(3, 9, 11)), ("opportunity", at(4, 15)))
    reach(m3.contact, ("nurture", at(3, 11, 9)))
    deal(m1.contact, 1000, DealStage.WON, at(3, 10, 12), at(4, 20, 10))
    deal(m2.contact, 500, DealStage.LOST, at(4, 15, 12), at(5, 1))
    never = ContactFactory(first_name="never")
    deal(never, 2000, DealStage.WON, at(3, 5), at(3, 25))
    deal(never, 300, DealStage.LOST, at(3, 6), at(3, 20))
    CampaignSpend.objects.create(
        campaign="spring", channel="webinar", month=date(2026, 3, 1), amount=400
    )
    CampaignSpend.objects.create(
        campaign="summer", channel="ads", month=date(2026, 3, 1), amount=300
    )
    reason = RejectReason.objects.get(code="not_icp")
    Decision.objects.create(
        mql=m3,
        outcome=Outcome.REJECT,
        reason=reason,
        disposition=Disposition.NURTURE,
        by=rep2,
        decided_at=at(3, 11, 9),
        time_to_decision=timedelta(days=1),
        team=team,
    )
    policy = SlaPolicy.objects.get(team=None, scoring_model=None)
    SlaClock.objects.create(
        mql=m1,
        kind=SlaKind.FIRST_TOUCH,
        policy=policy,
        started_at=m1.qualified_at,
        at_risk_at=at(3, 3),
        due_at=at(3, 4),
        stopped_at=at(3, 2, 12),
    )
    SlaClock.objects.create(  # breached
        mql=m2,
        kind=SlaKind.FIRST_TOUCH,
        policy=policy,
        started_at=m2.qualified_at,
        at_risk_at=at(3, 9, 8),
        due_at=at(3, 9, 9),
        breached_at=at(3, 9, 9),
        breached_team=team,
        breached_owner=rep1,
    )
    return {"m0": m0, "m1": m1, "m2": m2, "m3": m3, "m4": m4, **people}

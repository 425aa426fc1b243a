"""generate_data's history: MQLs, decisions, touches, clocks, deals and spend that agree with the
contacts' stage history, and the planted truth visible with plain queries."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from feedback.models import Decision, Outcome
from handoff.models import Breach, Mql, MqlStatus, SlaClock, Touch
from insights.generate import PLANTED, planted_rule_key
from insights.models import CampaignSpend, Deal, DealStage
from leads.models import Contact, LifecycleStage, StageChange
from scoring.models import ModelVersion

pytestmark = pytest.mark.django_db

S = LifecycleStage


@pytest.fixture
def history():
    call_command("generate_data", contacts=3000, events=30_000, companies=150, seed=5)


def rate(part: int, whole: int) -> float:
    assert whole > 0
    return part / whole


def acceptance(decisions) -> float:
    return rate(decisions.filter(outcome=Outcome.ACCEPT).count(), decisions.count())


def win_rate(deals) -> float:
    closed = deals.filter(stage__in=[DealStage.WON, DealStage.LOST])
    return rate(closed.filter(stage=DealStage.WON).count(), closed.count())


def test_mqls_with_the_planted_title_are_accepted_and_won_more_often(history):
    decisions = Decision.objects.all()
    titled = decisions.filter(mql__contact__job_title=PLANTED["title"])
    others = decisions.exclude(mql__contact__job_title=PLANTED["title"])
    assert titled.count() >= 30

    assert acceptance(titled) >= acceptance(others) + 0.12
    deals = Deal.objects.all()
    titled_deals = deals.filter(contact__job_title=PLANTED["title"])
    other_deals = deals.exclude(contact__job_title=PLANTED["title"])
    assert win_rate(titled_deals) >= win_rate(other_deals) + 0.2


def test_the_planted_rule_fires_exactly_on_the_planted_title(history):
    version = ModelVersion.objects.get(model__name="Generated history")
    key = planted_rule_key(version)
    assert key == PLANTED["title_rule_key"]

    fired = Decision.objects.filter(rule_keys__contains=[key])
    assert fired.exists()
    assert not fired.exclude(mql__contact__job_title=PLANTED["title"]).exists()
    assert not (
        Decision.objects.filter(mql__contact__job_title=PLANTED["title"])
        .exclude(rule_keys__contains=[key])
        .exists()
    )
    lift = acceptance(fired) / acceptance(Decision.objects.exclude(rule_keys__contains=[key]))
    assert lift >= PLANTED["title_min_lift"]


def test_the_planted_campaign_is_mostly_rejected_as_not_a_fit(history):
    decisions = Decision.objects.all()
    bad = decisions.filter(campaign=PLANTED["campaign"])
    others = decisions.exclude(campaign=PLANTED["campaign"])
    assert bad.count() >= 20

    bad_reject = 1 - acceptance(bad)
    assert bad_reject >= PLANTED["campaign_min_reject_rate"]
    assert 1 - acceptance(others) <= 0.35
    top_reason = (
        bad.filter(outcome=Outcome.REJECT)
        .values_list("reason__code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert top_reason[0] == PLANTED["campaign_reject_reason"]
    assert set(bad.values_list("source", flat=True)) == {PLANTED["campaign_channel"]}
    assert Mql.objects.filter(campaign=PLANTED["campaign"]).count() >= bad.count()
    assert CampaignSpend.objects.filter(
        campaign=PLANTED["campaign"], channel=PLANTED["campaign_channel"]
    ).exists()


def test_funnel_counts_never_increase_down_the_funnel(history):
    mqls = Mql.objects.count()
    accepted = Decision.objects.filter(outcome=Outcome.ACCEPT).count()
    opportunities = Deal.objects.count()
    won = Deal.objects.filter(stage=DealStage.WON).count()
    assert mqls > accepted > opportunities > won > 0

    def reached(stage):
        return StageChange.objects.filter(to_stage=stage).values("contact").distinct().count()

    counts = [reached(s) for s in (S.MQL, S.SQL, S.OPPORTUNITY, S.CUSTOMER)]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0
    # Within each monthly cohort of MQLs too.
    for month in Mql.objects.dates("qualified_at", "month"):
        cohort = Mql.objects.filter(qualified_at__year=month.year, qualified_at__month=month.month)
        steps = [
            cohort.count(),
            cohort.filter(decision__outcome=Outcome.ACCEPT).count(),
            Deal.objects.filter(contact__mqls__in=cohort).count(),
            Deal.objects.filter(contact__mqls__in=cohort, stage=DealStage.WON).count(),
        ]
        assert steps == sorted(steps, reverse=True), month


def test_the_history_agrees_with_the_contacts_stage_history(history):
    now = timezone.now()
    qualified = Mql.objects.order_by("qualified_at").values_list("qualified_at", flat=True)
    assert qualified.first() <= now - timedelta(days=180)  # six months and more
    assert qualified.last() <= now

    for decision in Decision.objects.select_related("mql", "mql__contact", "reason")[:400]:
        mql, contact = decision.mql, decision.mql.contact
        to_stage = S.SQL if decision.outcome == Outcome.ACCEPT else decision.disposition
        assert contact.stage_changes.filter(
            from_stage=S.MQL, to_stage=to_stage, changed_at=decision.decided_at
        ).exists()
        assert contact.stage_changes.filter(to_stage=S.MQL, changed_at=mql.qualified_at).exists()
        assert mql.status == (
            MqlStatus.ACCEPTED if decision.outcome == Outcome.ACCEPT else MqlStatus.REJECTED
        )
        assert (decision.reason is None) == (decision.outcome == Outcome.ACCEPT)
        assert mql.owner_id == decision.by_id == contact.owner_id
        assert mql.qualified_at <= mql.assigned_at <= mql.first_touch_at <= mql.decided_at
        assert decision.time_to_decision == mql.decided_at - mql.qualified_at
        assert decision.rule_keys == [item["rule"] for item in mql.breakdown]
    assert not Touch.objects.filter(
        Q(at__lt=F("mql__assigned_at")) | Q(at__gt=F("mql__decided_at"))
    ).exists()
    open_mqls = Mql.objects.filter(status=MqlStatus.OPEN)
    assert open_mqls.exists()
    assert not open_mqls.exclude(contact__lifecycle_stage=S.MQL).exists()
    # Deals: won ones are customers' (closed when they became one), open and lost ones stay
    # opportunities.
    assert (
        not Deal.objects.filter(stage=DealStage.WON)
        .exclude(contact__lifecycle_stage=S.CUSTOMER)
        .exists()
    )
    assert (
        not Deal.objects.exclude(stage=DealStage.WON)
        .exclude(contact__lifecycle_stage=S.OPPORTUNITY)
        .exists()
    )
    assert Deal.objects.filter(stage=DealStage.LOST).exclude(lost_reason="").exists()
    assert not Deal.objects.filter(amount__lte=0).exists()


def test_clocks_and_breaches_follow_the_mqls(history):
    assert SlaClock.objects.count() == 3 * Mql.objects.count()
    breached = SlaClock.objects.exclude(breached_at=None)
    assert breached.exists() and breached.count() == Breach.objects.count()
    # A clock stopped after its due time breached first; a breached one is stopped once its
    # step is done (late), as the product's clocks_stop does.
    assert not SlaClock.objects.filter(
        breached_at=None, stopped_at__isnull=False, stopped_at__gt=F("due_at")
    ).exists()
    assert breached.filter(stopped_at__gt=F("due_at")).exists()
    assert not breached.filter(stopped_at__lte=F("due_at")).exists()
    settled = SlaClock.objects.exclude(mql__status=MqlStatus.OPEN)
    assert not settled.filter(stopped_at=None).exists()


def test_spend_covers_the_campaigns_the_contacts_came_from(history):
    campaigns = set(Contact.objects.exclude(campaign="").values_list("campaign", flat=True))
    spent = set(CampaignSpend.objects.values_list("campaign", flat=True))
    assert spent and spent <= campaigns
    assert not CampaignSpend.objects.filter(amount__lte=0).exists()
    assert not CampaignSpend.objects.exclude(month__day=1).exists()


def test_the_same_seed_writes_the_same_history():
    def history_of_run(contacts):
        return list(
            Mql.objects.filter(contact__in=contacts)
            .order_by("contact_id")
            .values_list(
                "status", "grade", "fit", "campaign", "decision__outcome", "decision__reason"
            )
        )

    call_command("generate_data", contacts=600, events=3000, seed=11)
    first = list(Contact.objects.order_by("id").values_list("id", flat=True))
    call_command("generate_data", contacts=600, events=3000, seed=11)
    second = Contact.objects.exclude(id__in=first)

    assert history_of_run(Contact.objects.filter(id__in=first)) == history_of_run(second)
    assert Mql.objects.filter(contact__in=second).exists()


def test_no_history_writes_contacts_and_events_only():
    call_command("generate_data", contacts=300, events=1000, seed=2, history=False)

    assert Contact.objects.count() == 300
    assert not Mql.objects.exists() and not Deal.objects.exists()
    assert not CampaignSpend.objects.exists()

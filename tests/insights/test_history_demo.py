"""The demo's history (seed_demo): six months of decided MQLs, touches, deals and the demo
campaigns' spend, with the planted truth, written once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import Decision, Outcome
from handoff.models import Mql, MqlStatus, Touch
from insights.generate import PLANTED, planted_rule_key
from insights.models import CampaignSpend, Deal, DealStage
from scoring.demo import DEMO_MODEL
from scoring.models import ModelVersion

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (Mql, Decision, Touch, Deal, CampaignSpend)]


def test_the_demo_has_six_months_of_decided_mqls_deals_and_spend():
    call_command("seed_demo")

    decided = Mql.objects.exclude(status=MqlStatus.OPEN)
    oldest = decided.order_by("qualified_at").first().qualified_at
    assert oldest <= timezone.now() - timedelta(days=150)
    assert Decision.objects.filter(outcome=Outcome.ACCEPT).count() >= 100
    assert Decision.objects.filter(outcome=Outcome.REJECT).exclude(reason=None).count() >= 30
    assert Touch.objects.count() >= decided.count()
    assert Deal.objects.filter(stage=DealStage.WON).count() >= 10
    assert Deal.objects.filter(stage=DealStage.LOST).count() >= 5
    assert set(Deal.objects.values_list("source", flat=True)) == {"seed_demo"}
    assert CampaignSpend.objects.filter(campaign=PLANTED["campaign"]).exists()
    reps = {f"rep{i}" for i in range(1, 6)}
    assert set(decided.values_list("owner__username", flat=True)) <= reps
    # Decided under the demo model, whose planted rule fires on the planted title.
    version = ModelVersion.objects.get(model__name=DEMO_MODEL)
    assert set(decided.values_list("model_version", flat=True)) == {version.pk}
    key = planted_rule_key(version)
    assert key and Decision.objects.filter(rule_keys__contains=[key]).exists()


def test_the_demo_plants_the_same_truth():
    call_command("seed_demo")

    def acceptance(decisions):
        return decisions.filter(outcome=Outcome.ACCEPT).count() / decisions.count()

    titled = Decision.objects.filter(mql__contact__job_title=PLANTED["title"])
    assert acceptance(titled) > acceptance(
        Decision.objects.exclude(mql__contact__job_title=PLANTED["title"])
    )
    bad = Decision.objects.filter(campaign=PLANTED["campaign"])
    assert 1 - acceptance(bad) >= 0.5
    assert 1 - acceptance(Decision.objects.exclude(campaign=PLANTED["campaign"])) < 0.4


def test_the_demo_history_is_written_once():
    call_command("seed_demo")
    first = counts()

    call_command("seed_demo")

    assert counts() == first

"""The calibration finds the truth generate_data plants in its history: the rule matching the
planted title lifts acceptance (and wins), and the planted campaign's MQLs are mostly rejected."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from insights import calibration
from insights.generate import PLANTED
from scoring.models import ScoringModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def model():
    call_command("generate_data", contacts=3000, events=30_000, companies=150, seed=5)
    return ScoringModel.objects.get(name=PLANTED["generated_model"])


def test_the_rule_report_finds_the_planted_title(model):
    report = calibration.rule_report(model=model, since=timezone.now() - timedelta(days=400))
    rule = next(r for r in report.rules if r.key == PLANTED["title_rule_key"])
    assert rule.fired >= 30
    assert rule.lift >= PLANTED["title_min_lift"]
    assert rule.won_lift is not None and rule.won_lift > 1
    others = [r for r in report.rules if r.key != rule.key and r.lift is not None]
    assert all(r.lift < rule.lift for r in others)


def test_the_campaigns_find_the_planted_one(model):
    rows = calibration.campaign_report(model=model, since=timezone.now() - timedelta(days=400))
    planted = next(r for r in rows if r["campaign"] == PLANTED["campaign"])
    assert planted["reject_rate"] >= PLANTED["campaign_min_reject_rate"]
    assert max(r["reject_rate"] for r in rows) == planted["reject_rate"]


def test_the_score_grid_and_frontier_cover_the_history(model):
    since = timezone.now() - timedelta(days=400)
    grid = calibration.score_grid(model=model, since=since)
    report = calibration.rule_report(model=model, since=since)
    assert grid.decided == report.decided > 0
    frontier = calibration.threshold_frontier(model=model, months=13, min_sql_rate=0.01)
    assert frontier.matches

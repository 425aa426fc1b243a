"""Calibration of a scoring model: the rule report, the score grid, the threshold frontier and
the campaigns, each checked against a small hand-computed history of decided MQLs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights import calibration
from tests.factories import published_model

pytestmark = pytest.mark.django_db


def _since(history, days=30):
    return history["now"] - timedelta(days=days)


def test_rule_report_compares_where_each_rule_fired_with_where_it_did_not(history):
    report = calibration.rule_report(model=history["model"], since=_since(history))
    assert (report.decided, report.accepted, report.won) == (6, 4, 1)
    rules = {r.key: r for r in report.rules}
    a, b = rules[history["a"]], rules[history["b"]]
    assert (a.fired, a.fired_accepted, a.fired_won) == (4, 3, 1)
    assert (a.not_fired, a.not_fired_accepted, a.not_fired_won) == (2, 1, 0)
    assert a.acceptance_fired == 0.75 and a.acceptance_not_fired == 0.5
    assert a.lift == 1.5
    assert a.won_fired == 0.25 and a.won_lift is None  # not fired: no win to divide by
    assert a.top_reject_reasons == [
        {"code": "not_icp", "label": "Not our ideal customer", "count": 1}
    ]
    assert (b.fired, b.fired_accepted) == (3, 2)
    assert b.lift == 1.0
    assert [r["code"] for r in b.top_reject_reasons] == ["no_budget"]
    assert a.description.startswith("Job title contains")
    assert a.short_text() == "fired on 4 MQLs · 75% accepted · lift 1.5×"


def test_rule_report_period_leaves_out_older_decisions(history):
    report = calibration.rule_report(model=history["model"], since=_since(history, 365))
    assert report.decided == 7
    assert {r.key: r for r in report.rules}[history["a"]].fired == 5


def test_score_grid_counts_each_cell_with_its_sql_and_won_rates(history):
    grid = calibration.score_grid(model=history["model"], since=_since(history))
    assert grid.fit_edges == [20, 30, 40, 50, 60]
    assert grid.engagement_edges == [10, 15, 20, 25, 30]
    assert grid.decided == 6
    top_right = grid.cells[4][4]  # fit 60, engagement 30: MQLs 1 and 3
    assert (top_right.count, top_right.sql, top_right.won) == (2, 2, 1)
    assert top_right.sql_rate == 1.0 and top_right.won_rate == 0.5
    assert (grid.cells[0][4].count, grid.cells[0][4].sql) == (2, 2)  # 60, 10: MQLs 2 and 6
    assert (grid.cells[4][0].count, grid.cells[4][0].sql) == (2, 1)  # 20, 30: MQLs 4 and 5
    assert sum(c.count for row in grid.cells for c in row) == 6


def test_a_threshold_inside_the_range_becomes_a_band_edge():
    assert calibration.band_edges(0, 100, 37) == [0, 20, 37, 40, 60, 80, 100]
    assert calibration.band_edges(None, None, 5) == [5]


def test_frontier_sums_the_mqls_each_pair_would_have_kept(history):
    frontier = calibration.threshold_frontier(model=history["model"], months=6, now=history["now"])
    points = {(p.fit_min, p.engagement_min): p for p in frontier.points}
    assert not frontier.uses_total
    current = points[(20, 10)]
    assert (current.mqls, current.sql, current.per_month) == (6, 5, 1.0)
    strict = points[(60, 30)]
    assert (strict.mqls, strict.sql, strict.won) == (2, 2, 1)
    assert strict.sql_rate == 1.0 and strict.per_month == 0.3
    assert points[(60, 10)].mqls == 4
    assert frontier.matches == []  # no target stated


def test_frontier_with_a_rate_target_puts_the_most_mqls_first(history):
    frontier = calibration.threshold_frontier(
        model=history["model"], months=6, min_sql_rate=0.9, now=history["now"]
    )
    best = frontier.matches[0]
    assert (best.fit_min, best.engagement_min, best.mqls, best.sql_rate) == (30, 10, 4, 1.0)
    assert all(p.sql_rate >= 0.9 for p in frontier.matches)
    assert (20, 10) not in {(p.fit_min, p.engagement_min) for p in frontier.matches}


def test_frontier_with_a_volume_target_puts_the_best_rate_first(history):
    frontier = calibration.threshold_frontier(
        model=history["model"], months=6, max_per_month=0.5, now=history["now"]
    )
    assert all(p.per_month <= 0.5 for p in frontier.matches)
    best = frontier.matches[0]
    assert best.sql_rate == 1.0 and best.mqls == 2


def test_frontier_with_a_total_threshold_counts_either_way(history, marketer):
    from scoring.services import model_update

    model = history["model"]
    model_update(model=model, data={"total_min": 80})
    frontier = calibration.threshold_frontier(model=model, months=6, now=history["now"])
    assert frontier.uses_total
    points = {(p.fit_min, p.engagement_min, p.total_min): p for p in frontier.points}
    # fit ≥ 60 and engagement ≥ 30 (MQLs 1, 3) or total ≥ 90 (1, 3 again): 2
    assert points[(60, 30, 90)].mqls == 2
    # fit ≥ 60 and engagement ≥ 30, or total ≥ 70 (1, 2, 3, 6): 4
    assert points[(60, 30, 70)].mqls == 4
    assert points[(60, 30, 50)].mqls == 6
    assert points[(60, 30, None)].mqls == 2


def test_campaign_report_finds_the_campaign_sales_rejects(history):
    rows = {
        r["campaign"]: r
        for r in calibration.campaign_report(model=history["model"], since=_since(history))
    }
    assert rows["spring"]["count"] == 4 and rows["spring"]["acceptance"] == 0.75
    assert rows["junk-list"]["count"] == 2 and rows["junk-list"]["acceptance"] == 0.5
    assert rows["junk-list"]["reject_rate"] == 0.5 and rows["spring"]["reject_rate"] == 0.25


def test_a_model_without_decisions_has_empty_figures(marketer):
    model = published_model(by=marketer)
    now = timezone.now()
    report = calibration.rule_report(model=model, since=now - timedelta(days=30))
    assert report.decided == 0 and all(r.fired == 0 for r in report.rules)
    grid = calibration.score_grid(model=model, since=now - timedelta(days=30))
    assert grid.decided == 0
    assert calibration.threshold_frontier(model=model, min_sql_rate=0.3).matches == []
    assert calibration.rule_figures(model=model) == {}


def test_reads_of_one_model_and_period_share_one_computation(history):
    from feedback.models import Decision

    model, until = history["model"], history["now"]
    since = _since(history)
    with calibration.decided_shared(model=model, since=since, until=until):
        Decision.objects.filter(mql=history["mqls"][0]).delete()
        inside = calibration.rule_report(model=model, since=since, until=until)
        grid = calibration.score_grid(model=model, since=since, until=until)
    outside = calibration.rule_report(model=model, since=since, until=until)
    assert (inside.decided, grid.decided, outside.decided) == (6, 6, 5)

"""One meaning of "reached SQL" and "won" for an MQL: the calibration (score grid, threshold
frontier, campaigns, rule report) and the backtest count what the funnel metrics count, on the
same hand-built history of decided MQLs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from insights import calibration
from insights.backtest import backtest_start
from insights.services import deal_upsert
from scoring.selectors import latest_version
from tests.factories import published_model
from tests.insights.calibration_history import decided_mql, won_deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def outcomes(marketer, team, reps):
    """Five decided MQLs of one model opened ten days ago, one per fit band (engagement 10):

    | fit | decision | then                                                                | SQL | won |
    |-----|----------|---------------------------------------------------------------------|-----|-----|
    | 20  | accepted | the accept moves the contact mql → sql                              | yes | no  |
    | 30  | rejected | a deal moves the contact on to opportunity, never through sql        | yes | no  |
    | 40  | rejected | nothing                                                             | no  | no  |
    | 50  | rejected | the contact qualifies again (the fit-60 MQL) before it converts     | no  | no  |
    | 60  | accepted | the second MQL of that contact: sql, then a won deal                | yes | yes |
    """
    model = published_model(by=marketer)
    version = latest_version(model=model)
    fit_rule = model.fitrules.get().key  # fired on every MQL, the engagement rule on none
    now = timezone.now()
    at = now - timedelta(days=10)
    rows = {}
    for fit, outcome in ((20, "accept"), (30, "reject"), (40, "reject"), (50, "reject")):
        rows[fit] = decided_mql(
            version=version,
            outcome=outcome,
            qualified_at=at + timedelta(minutes=fit),
            fit=fit,
            engagement=10,
            fired=(fit_rule,),
            campaign="spring",
        )
    skipper = rows[30].contact
    deal_upsert(
        data={"contact": skipper, "name": "Pilot", "amount": 500}, now=at + timedelta(days=1)
    )
    again = rows[50].contact
    rows[60] = decided_mql(
        version=version,
        outcome="accept",
        contact=again,
        qualified_at=at + timedelta(days=2),
        fit=60,
        engagement=10,
        fired=(fit_rule,),
    )
    won_deal(contact=again, at=at + timedelta(days=4))
    stages = [
        c.to_stage for c in skipper.stage_changes.filter(changed_at__gte=rows[30].qualified_at)
    ]
    assert "sql" not in stages and "opportunity" in stages  # the history skips sql
    return {"model": model, "now": now, "at": at, "mqls": rows, "fit_rule": fit_rule}


def _metrics(client, outcomes) -> dict:
    """The metrics endpoints' figures for the same cohort: the funnel's MQL→SQL to date and the
    breakdown's won MQLs (of this model)."""
    period = {
        "start": (outcomes["at"] - timedelta(days=1)).date().isoformat(),
        "end": outcomes["now"].date().isoformat(),
        "model": outcomes["model"].pk,
    }
    funnel = client.get(reverse("insights-api:metric-funnel"), period).json()["data"]
    [row] = client.get(reverse("insights-api:metric-breakdown"), {**period, "by": "model"}).json()[
        "data"
    ]["rows"]
    to_date = funnel["windows"]["to_date"]
    return {"mqls": to_date["mqls"], "sql": to_date["sql"], "rate": to_date["mql_to_sql"],
            "won": row["won"]}  # fmt: skip


def test_the_metrics_count_the_skipped_sql_and_credit_a_requalified_contact_to_its_later_mql(
    outcomes, api_as, marketer
):
    assert _metrics(api_as(marketer), outcomes) == {"mqls": 5, "sql": 3, "rate": 0.6, "won": 1}


def test_the_score_grid_counts_sql_and_won_as_the_metrics_do(outcomes, api_as, marketer):
    grid = calibration.score_grid(
        model=outcomes["model"], since=outcomes["at"] - timedelta(days=1), until=outcomes["now"]
    )
    assert grid.fit_edges == [20, 30, 40, 50, 60] and grid.engagement_edges == [10]
    by_fit = {grid.fit_edges[cell.fit_band]: cell for cell in grid.cells[0]}
    assert {fit: (c.count, c.sql, c.won) for fit, c in by_fit.items()} == {
        20: (1, 1, 0),
        30: (1, 1, 0),  # mql → opportunity: reached SQL
        40: (1, 0, 0),
        50: (1, 0, 0),  # converted after its contact qualified again: the later MQL's
        60: (1, 1, 1),
    }
    metrics = _metrics(api_as(marketer), outcomes)
    assert sum(c.sql for c in by_fit.values()) == metrics["sql"]
    assert sum(c.won for c in by_fit.values()) == metrics["won"]


def test_the_frontier_counts_sql_and_won_as_the_metrics_do(outcomes, api_as, marketer):
    frontier = calibration.threshold_frontier(
        model=outcomes["model"], months=1, now=outcomes["now"]
    )
    points = {p.fit_min: p for p in frontier.points if p.engagement_min == 10}
    assert {fit: (p.mqls, p.sql, p.won) for fit, p in points.items()} == {
        20: (5, 3, 1),
        30: (4, 2, 1),
        40: (3, 1, 1),
        50: (2, 1, 1),
        60: (1, 1, 1),
    }
    metrics = _metrics(api_as(marketer), outcomes)
    assert (points[20].mqls, points[20].sql, points[20].sql_rate) == (
        metrics["mqls"],
        metrics["sql"],
        metrics["rate"],
    )
    assert points[20].won == metrics["won"]


def test_the_rule_report_and_campaigns_count_won_and_sql_as_the_metrics_do(
    outcomes, api_as, marketer
):
    since = outcomes["at"] - timedelta(days=1)
    metrics = _metrics(api_as(marketer), outcomes)
    report = calibration.rule_report(model=outcomes["model"], since=since, until=outcomes["now"])
    assert (report.decided, report.won) == (metrics["mqls"], metrics["won"])
    rules = {f.key: f for f in report.rules}
    fit_rule = rules.pop(outcomes["fit_rule"])
    [engagement_rule] = rules.values()
    assert (fit_rule.fired, fit_rule.fired_won) == (5, metrics["won"])
    assert (engagement_rule.not_fired, engagement_rule.not_fired_won) == (5, metrics["won"])
    [spring] = calibration.campaign_report(
        model=outcomes["model"], since=since, until=outcomes["now"]
    )
    assert (spring["count"], spring["sql_rate"], spring["won_rate"]) == (5, 0.6, 0.2)


def test_the_backtest_counts_won_as_the_metrics_do(
    outcomes, api_as, marketer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        backtest = backtest_start(
            model=outcomes["model"], by=marketer, days=30, now=outcomes["now"]
        )
    backtest.refresh_from_db()
    counts = backtest.result["counts"]
    assert (counts["decided"], counts["won"]) == (5, _metrics(api_as(marketer), outcomes)["won"])
    assert backtest.result["rates"]["won_actual"] == 0.2


def test_the_docs_and_the_calibration_page_say_the_same_words(outcomes, client, marketer):
    from html import escape
    from pathlib import Path

    from insights.metrics.definitions import OUTCOMES

    docs = Path(__file__).resolve().parents[2] / "docs"
    for page in ("metrics.md", "calibration.md"):
        text = " ".join((docs / page).read_text().split())  # as rendered: lines joined
        for key, words in OUTCOMES.items():
            assert words in text, (page, key)
    client.force_login(marketer)
    html = client.get(
        reverse("insights:calibration-model", args=[outcomes["model"].pk])
    ).content.decode()
    assert escape(OUTCOMES["reached_sql"]) in html and escape(OUTCOMES["won"]) in html

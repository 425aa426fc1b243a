"""Each metric against a small history computed by hand, with time frozen on Monday 2026-06-01.

The cohort is March 2026 (four MQLs in the team "Inside sales"):

| MQL | opened (UTC)    | rep  | channel / campaign | first touch | decided            | stages reached            |
|-----|-----------------|------|--------------------|-------------|--------------------|---------------------------|
| m1  | Mon 03-02 10:00 | rep1 | webinar / spring   | 03-02 12:00 | accepted 03-03     | sql 03-03 10:00, opp 03-10, customer 04-20 10:00 |
| m2  | Fri 03-06 16:00 | rep1 | webinar / spring   | Mon 03-09 10:00 | accepted 03-09 | sql 03-09 11:00, opp 04-15 |
| m3  | Tue 03-10 09:00 | rep2 | ads / summer       | —           | rejected 03-11     | —                         |
| m4  | Fri 03-20 09:00 | rep2 | ads / summer       | 03-20 13:00 | open               | —                         |

plus m0 opened 02-15 (the previous period). Deals: m1's contact 1000 created 03-10, won 04-20;
m2's contact 500 created 04-15, lost 05-01; a contact that never was an MQL: 2000 created
03-05 won 03-25, and 300 created 03-06 lost 03-20. Spend in March: webinar/spring 400,
ads/summer 300.
"""

from datetime import timedelta

import pytest

from handoff.models import MqlStatus
from insights.metrics import compute
from insights.metrics.filters import MetricFilters, parse_filters
from leads.models import Contact
from tests.factories import ContactFactory, MqlFactory
from tests.insights.metrics_history import (  # noqa: F401
    NOW,
    H,
    at,
    funnel_history_fixture,
    funnel_now_fixture,
    march,
    reach,
)


def test_mql_volume_per_week_with_change_against_the_previous_period(funnel_history):
    volume = compute.mql_volume(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert volume["total"] == 4
    assert volume["previous_total"] == 1  # 29 Jan – 28 Feb: m0
    assert volume["change"] == 3.0
    assert [(p["start"], p["mqls"]) for p in volume["series"]] == [
        ("2026-02-23", 0),
        ("2026-03-02", 2),
        ("2026-03-09", 1),
        ("2026-03-16", 1),
        ("2026-03-23", 0),
        ("2026-03-30", 0),
    ]
    assert volume["series"][2]["change"] == -0.5


def test_mql_volume_per_month(funnel_history):
    volume = compute.mql_volume(
        user=funnel_history["marketer"], filters=march(grain="month"), now=NOW
    )
    assert volume["series"] == [{"start": "2026-03-01", "mqls": 4, "change": None}]


def test_funnel_within_windows_counts_only_mature_mqls(funnel_history):
    windows = compute.funnel(user=funnel_history["marketer"], filters=march(), now=NOW)["windows"]
    w30, w60, w90, to_date = windows["30"], windows["60"], windows["90"], windows["to_date"]
    assert (w30["mqls"], w30["decided"], w30["accepted"]) == (4, 3, 2)
    assert (w30["sql"], w30["opportunity"], w30["customer"]) == (2, 1, 0)
    assert w30["acceptance_rate"] == 0.6667
    assert w30["mql_to_sql"] == 0.5
    assert w30["sql_to_opportunity"] == 0.5
    assert w30["opportunity_to_won"] == 0.0
    assert (w60["sql"], w60["opportunity"], w60["customer"]) == (2, 2, 1)
    assert w60["mql_to_customer"] == 0.25
    # Only m1 (opened 03-02 10:00) is 90 days old on 06-01 12:00.
    assert (w90["mqls"], w90["sql"], w90["customer"], w90["mql_to_sql"]) == (1, 1, 1, 1.0)
    assert (to_date["mqls"], to_date["sql"], to_date["opportunity"], to_date["customer"]) == (
        4,
        2,
        2,
        1,
    )


def test_cohort_maturity_is_reported(funnel_history):
    maturity = compute.funnel(user=funnel_history["marketer"], filters=march(), now=NOW)["maturity"]
    assert maturity == {"oldest_days": 92, "youngest_days": 61}


def test_funnel_counts_never_increase_down_the_funnel(funnel_history):
    # A contact that skips SQL (a deal moved it straight to opportunity) still counts as SQL.
    skipper = ContactFactory(first_name="skipper")
    MqlFactory(contact=skipper, qualified_at=at(3, 25, 9), status=MqlStatus.CLOSED)
    reach(skipper, ("opportunity", at(3, 26)), ("customer", at(3, 30)))
    windows = compute.funnel(user=funnel_history["marketer"], filters=march(), now=NOW)["windows"]
    for window in windows.values():
        assert window["mqls"] >= window["sql"] >= window["opportunity"] >= window["customer"]
        assert window["decided"] >= window["accepted"]
    assert windows["30"]["sql"] == 3 and windows["30"]["customer"] == 1


def test_a_conversion_after_the_contact_qualified_again_goes_to_the_later_mql(funnel_history):
    again = ContactFactory(first_name="again")
    first = MqlFactory(contact=again, qualified_at=at(3, 3), status=MqlStatus.REJECTED)
    MqlFactory(contact=again, qualified_at=at(3, 12), status=MqlStatus.ACCEPTED)
    reach(again, ("sql", at(3, 13)))
    only_first = MetricFilters(
        start=first.qualified_at, end=first.qualified_at + timedelta(hours=1)
    )
    assert (
        compute.funnel(user=funnel_history["marketer"], filters=only_first, now=NOW)["windows"][
            "to_date"
        ]["sql"]
        == 0
    )


def test_speed_to_lead_median_and_p90_in_wall_time_and_business_hours(funnel_history):
    speed = compute.speed_to_lead(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert (speed["mqls"], speed["touched"], speed["untouched"]) == (4, 3, 1)
    # Wall: 2 h, 66 h (Friday 16:00 to Monday 10:00), 4 h.
    assert speed["wall_seconds"] == {"median": 4 * H, "p90": pytest.approx(53.6 * H)}
    # Business hours (09:00–17:00 on weekdays): 2 h, 1 h + 1 h, 4 h.
    assert speed["business_seconds"] == {"median": 2 * H, "p90": pytest.approx(3.6 * H)}
    assert speed["business_sample"] == 3


def test_time_to_sql_and_time_to_won(funnel_history):
    to_sql = compute.time_to_sql(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert to_sql["reached"] == 2
    assert to_sql["median_seconds"] == 45.5 * H  # 24 h and 67 h
    assert to_sql["p90_seconds"] == pytest.approx(62.7 * H)
    to_won = compute.time_to_won(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert to_won["reached"] == 1
    assert to_won["median_seconds"] == 49 * 24 * H


def test_revenue_of_mql_sourced_deals_in_march(funnel_history):
    money = compute.revenue(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert money["pipeline_created"] == {"deals": 1, "amount": 1000.0}
    assert money["revenue_won"] == {"deals": 0, "amount": 0.0}
    assert money["revenue_per_mql"]["per_mql"] == 250.0  # 1000 won to date / 4 MQLs
    assert money["win_rate"]["mql_sourced"] == {"closed": 0, "won": 0, "rate": None}
    assert money["win_rate"]["never_mql"] == {"closed": 2, "won": 1, "rate": 0.5}


def test_revenue_and_win_rate_in_april_and_may(funnel_history):
    spring = MetricFilters(start=at(4, 1), end=at(6, 1))
    money = compute.revenue(user=funnel_history["marketer"], filters=spring, now=NOW)
    assert money["pipeline_created"] == {"deals": 1, "amount": 500.0}
    assert money["revenue_won"] == {"deals": 1, "amount": 1000.0}
    assert money["win_rate"]["mql_sourced"] == {"closed": 2, "won": 1, "rate": 0.5}
    assert money["win_rate"]["never_mql"] == {"closed": 0, "won": 0, "rate": None}


def test_cost_per_mql_sql_and_won_deal_by_campaign_and_channel(funnel_history):
    cost = compute.cost(user=funnel_history["marketer"], filters=march(), now=NOW)
    by_campaign = {(r["channel"], r["campaign"]): r for r in cost["by_campaign"]}
    spring = by_campaign[("webinar", "spring")]
    assert (spring["spend"], spring["mqls"], spring["sqls"], spring["won"]) == (400.0, 2, 2, 1)
    assert (spring["cost_per_mql"], spring["cost_per_sql"], spring["cost_per_won_deal"]) == (
        200.0,
        200.0,
        400.0,
    )
    summer = by_campaign[("ads", "summer")]
    assert (summer["cost_per_mql"], summer["cost_per_sql"], summer["cost_per_won_deal"]) == (
        150.0,
        None,
        None,
    )
    assert [r["channel"] for r in cost["by_channel"]] == ["ads", "webinar"]
    assert cost["months"] == {"first": "2026-03-01", "last": "2026-03-31"}


def test_lead_to_mql_rate_over_mature_new_leads(funnel_history):
    became, stayed, young = (ContactFactory(first_name=n) for n in ("became", "stayed", "young"))
    Contact.objects.filter(pk__in=[became.pk, stayed.pk]).update(created_at=at(2, 1))
    Contact.objects.filter(pk=young.pk).update(created_at=at(5, 1))
    MqlFactory(contact=became, qualified_at=at(2, 20), status=MqlStatus.CLOSED)
    MqlFactory(contact=young, qualified_at=at(5, 2), status=MqlStatus.CLOSED)
    february = MetricFilters(start=at(2, 1), end=at(3, 1))
    assert compute.lead_to_mql(user=funnel_history["marketer"], filters=february, now=NOW) == {
        "leads": 2,
        "matured": 2,
        "became_mql": 1,
        "rate": 0.5,
        "window_days": 90,
    }
    may = MetricFilters(start=at(5, 1), end=at(6, 1))
    young_only = compute.lead_to_mql(user=funnel_history["marketer"], filters=may, now=NOW)
    assert (young_only["leads"], young_only["matured"], young_only["rate"]) == (1, 0, None)


def test_breakdown_by_channel_and_score_band(funnel_history):
    rows = {
        r["group"]: r
        for r in compute.breakdown(
            user=funnel_history["marketer"], filters=march(), now=NOW, by="channel"
        )["rows"]
    }
    assert (rows["webinar"]["mqls"], rows["webinar"]["accepted"], rows["webinar"]["sql"]) == (
        2,
        2,
        2,
    )
    assert (rows["webinar"]["won"], rows["webinar"]["revenue"]) == (1, 1000.0)
    assert (rows["ads"]["decided"], rows["ads"]["acceptance_rate"]) == (1, 0.0)
    bands = compute.breakdown(
        user=funnel_history["marketer"], filters=march(), now=NOW, by="score_band"
    )
    assert {r["group"]: r["mqls"] for r in bands["rows"]} == {
        "80–99": 1,
        "60–79": 1,
        "40–59": 2,
    }


def test_breakdown_per_rep_has_median_speed(funnel_history):
    rows = {
        r["group"]: r
        for r in compute.breakdown(
            user=funnel_history["manager"], filters=march(), now=NOW, by="rep"
        )["rows"]
    }
    assert rows["rep1"]["speed_median_seconds"] == 34 * H  # 2 h and 66 h
    assert rows["rep2"]["speed_median_seconds"] == 4 * H


def test_conversion_trend_carries_the_reference_bands(funnel_history):
    trend = compute.conversion_trend(user=funnel_history["marketer"], filters=march(), now=NOW)
    week = {p["start"]: p for p in trend["series"]}["2026-03-02"]
    assert (week["mqls"], week["matured"], week["sql"], week["mql_to_sql"]) == (2, 2, 2, 1.0)
    assert {(b["low"], b["high"]) for b in trend["bands"]} == {
        (0.25, 0.5),
        (0.13, 0.13),
        (None, 0.2),
    }


def test_forecast_from_the_last_twelve_weeks(funnel_history):
    forecast = compute.forecast(user=funnel_history["marketer"], filters=march(), now=NOW)
    assert len(forecast["weeks"]) == 12 and forecast["weeks"][0]["start"] == "2026-03-09"
    assert sum(w["mqls"] for w in forecast["weeks"]) == 2  # m3 and m4
    assert forecast["weekly_mean"] == 0.17
    assert (forecast["expected"], forecast["low"], forecast["high"]) == (1, 0, 2)


def test_capacity_needs_aes_times_sqls_over_the_rate(funnel_history):
    capacity = compute.capacity(
        user=funnel_history["marketer"], filters=march(), now=NOW, aes=2, sqls_per_ae=3
    )
    assert capacity["measured_rate"] == 0.5
    assert capacity["mqls_needed"] == 12
    assert capacity["actual_per_month"] == 3.9  # 4 MQLs in 31 days
    given = compute.capacity(
        user=funnel_history["marketer"], filters=march(), now=NOW, aes=2, sqls_per_ae=3, rate=0.25
    )
    assert given["mqls_needed"] == 24


def test_sales_figures_reject_reasons_sla_breaches_and_queue(funnel_history):
    user = funnel_history["manager"]
    reasons = compute.reject_reasons(user=user, filters=march(), now=NOW)
    assert reasons["reasons"] == ["Not our ideal customer"]
    assert {p["start"]: p["counts"]["Not our ideal customer"] for p in reasons["series"]}[
        "2026-03-09"
    ] == 1
    sla = {
        p["start"]: p for p in compute.sla_compliance(user=user, filters=march(), now=NOW)["series"]
    }
    assert (sla["2026-03-02"]["clocks"], sla["2026-03-02"]["compliance"]) == (1, 1.0)
    assert (sla["2026-03-09"]["breached"], sla["2026-03-09"]["compliance"]) == (1, 0.0)
    breaches = {
        p["start"]: p for p in compute.breaches(user=user, filters=march(), now=NOW)["series"]
    }
    assert breaches["2026-03-09"]["counts"]["first_touch"] == 1
    ageing = compute.queue_ageing(user=user, filters=march(), now=NOW)
    assert ageing["open"] == 1 and ageing["buckets"][-1]["mqls"] == 1


def test_filters_narrow_the_mqls(funnel_history):
    user = funnel_history["marketer"]
    assert compute.mql_volume(user=user, filters=march(channel="ADS"), now=NOW)["total"] == 2
    assert compute.mql_volume(user=user, filters=march(campaign="spring"), now=NOW)["total"] == 2
    assert (
        compute.mql_volume(user=user, filters=march(team=funnel_history["m1"].team), now=NOW)[
            "total"
        ]
        == 4
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [("rep", 2), ("other_rep", 2), ("manager", 4), ("outsider", 0), ("marketer", 4), ("admin", 4)],
)
def test_each_role_counts_the_mqls_it_may_see(funnel_history, who, expected):
    assert (
        compute.mql_volume(user=funnel_history[who], filters=march(), now=NOW)["total"] == expected
    )


def test_parse_filters_defaults_to_the_last_twelve_weeks(funnel_now):
    filters = parse_filters({}, now=NOW)
    assert filters.start == at(3, 10) and filters.end == at(6, 2)


def test_the_docs_repeat_every_definition_word_for_word():
    from pathlib import Path

    from insights.metrics.definitions import DEFINITIONS

    docs = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
    for definition in DEFINITIONS.values():
        assert definition.definition in docs, definition.key


def test_the_breakdown_credits_a_later_conversion_to_the_later_mql(funnel_history):
    again = ContactFactory(first_name="again")
    MqlFactory(contact=again, qualified_at=at(3, 3), status=MqlStatus.REJECTED, source="x")
    MqlFactory(contact=again, qualified_at=at(4, 12), status=MqlStatus.ACCEPTED, source="y")
    reach(again, ("sql", at(4, 13)))
    rows = compute.breakdown(
        user=funnel_history["marketer"], filters=march(), now=NOW, by="channel"
    )
    assert {r["group"]: r["sql"] for r in rows["rows"]}["x"] == 0

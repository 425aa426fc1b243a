"""The dashboards: who lands where, filters in the URL, tables beneath the charts, CSV downloads
(formula cells escaped) and the quarterly review."""

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, ModelVersionFactory, MqlFactory, UserFactory
from tests.insights.metrics_history import at, funnel_history_fixture, funnel_now_fixture  # noqa: F401

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("marketer", "insights:marketing"),
        ("admin", "handoff:breaches"),
        ("manager", "insights:sales"),
        ("rep", "handoff:queue"),
    ],
)
def test_the_home_page_depends_on_the_role(client, people, who, page):
    client.force_login(people[who])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse(page)


def test_a_user_without_a_role_still_lands_on_the_contacts(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("home")).url == reverse("contacts")
    assert client.get(reverse("insights:marketing")).status_code == 403


def test_marketing_dashboard_shows_tiles_charts_tables_and_definitions(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    response = client.get(reverse("insights:marketing"), MARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert "chart.umd.min.js" in html and "js/insights.js" in html
    assert 'id="insights-charts"' in html and 'data-chart="funnel"' in html
    assert 'id="table-volume"' in html and 'id="table-funnel"' in html
    assert 'id="table-cost"' in html  # marketing sees the cost table
    assert "50.0%" in html  # MQL → SQL within 30 days
    assert "cross-industry benchmark" in html.lower()
    assert 'data-tooltip="Of the MQLs opened in the period and at least N days old' in html
    assert "12 MQLs needed per month" not in html  # defaults: 5 AEs × 10 SQLs
    response = client.get(reverse("insights:marketing"), {**MARCH, "aes": 2, "sqls_per_ae": 3})
    assert "12 MQLs needed per month" in response.content.decode()


def test_a_manager_sees_no_cost_table(client, funnel_history):
    client.force_login(funnel_history["manager"])
    html = client.get(reverse("insights:marketing"), MARCH).content.decode()
    assert 'id="table-volume"' in html and 'id="table-cost"' not in html


def test_bad_filters_show_next_to_the_field_with_a_400(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    response = client.get(
        reverse("insights:marketing"), {"start": "2026-03-10", "end": "2026-03-01"}
    )
    assert response.status_code == 400
    assert 'id="e-end"' in response.content.decode()


def test_sales_dashboard_of_a_rep_shows_their_own_numbers(client, funnel_history):
    client.force_login(funnel_history["rep"])
    response = client.get(reverse("insights:sales"), MARCH)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="table-reps"' in html and "rep1" in html and "rep2" not in html
    assert 'id="table-sla"' in html and 'id="table-breaches"' in html
    assert 'id="table-ageing"' in html and 'id="table-reject_reasons"' in html


def test_a_table_downloads_as_csv_with_formula_cells_escaped(client, funnel_history):
    contact = ContactFactory(first_name="evil")
    MqlFactory(contact=contact, qualified_at=at(3, 4), source="=cmd", campaign="@SUM(A1)")
    client.force_login(funnel_history["marketer"])
    url = reverse("insights:table-csv", args=["marketing", "by_channel"])
    response = client.get(url, MARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["Channel", "MQLs"]
    assert rows[[r[0] for r in rows].index("'=cmd")][:2] == ["'=cmd", "1"]
    assert {r[0] for r in rows[1:]} == {"webinar", "ads", "'=cmd"}


def test_csv_of_an_unknown_table_is_a_404_and_bad_filters_a_400(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    assert client.get(reverse("insights:table-csv", args=["marketing", "nope"])).status_code == 404
    assert client.get(reverse("insights:table-csv", args=["nope", "volume"])).status_code == 404
    bad = client.get(reverse("insights:table-csv", args=["marketing", "volume"]), {"grain": "x"})
    assert bad.status_code == 400 and b"grain" in bad.content


def test_quarterly_review_compares_three_quarters_and_marks_versions(client, funnel_history):
    version = ModelVersionFactory(model__name="Fit first", published_at=at(2, 11))
    client.force_login(funnel_history["marketer"])
    response = client.get(reverse("insights:quarterly"), {"quarter": "2026-Q1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026 Q1" in html and "2025 Q4" in html and "2025 Q1" in html
    assert f"Fit first v{version.number} published" in html
    csv_url = reverse("insights:table-csv", args=["quarterly", "quarter"])
    rows = list(
        csv.reader(io.StringIO(client.get(csv_url, {"quarter": "2026-Q1"}).content.decode()))
    )
    assert rows[0] == ["Figure", "2026 Q1", "2025 Q4", "Change", "2025 Q1", "Change"]
    assert rows[1][:3] == ["MQLs", "5", "0"]  # m0 opened in February


def test_a_bad_quarter_is_a_400(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    response = client.get(reverse("insights:quarterly"), {"quarter": "last"})
    assert response.status_code == 400 and "2026-Q3" in response.content.decode()


def test_the_breakdown_table_follows_by_and_downloads(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    html = client.get(reverse("insights:marketing"), {**MARCH, "by": "grade"}).content.decode()
    assert "Breakdown by grade" in html and 'id="table-breakdown"' in html
    url = reverse("insights:table-csv", args=["marketing", "breakdown"])
    rows = list(csv.reader(io.StringIO(client.get(url, {**MARCH, "by": "grade"}).content.decode())))
    assert rows[0][0] == "Grade"
    assert {r[0]: r[1] for r in rows[1:]} == {"A": "1", "B": "1", "C": "1", "(none)": "1"}
    bad = client.get(reverse("insights:marketing"), {**MARCH, "by": "colour"})
    assert bad.status_code == 400 and "Choose one of" in bad.content.decode()


@pytest.mark.parametrize("name", ["insights:marketing", "insights:sales", "insights:quarterly"])
def test_dashboards_keep_to_the_csp(client, funnel_history, name):
    client.force_login(funnel_history["admin"])
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert " style=" not in html
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)


def test_rate_tiles_show_their_change_in_points(client, funnel_history):
    client.force_login(funnel_history["marketer"])
    html = client.get(reverse("insights:marketing"), MARCH).content.decode()
    assert "+50.0 pts vs previous" in html  # MQL → SQL: 50% in March, 0 of 1 before
    assert "+300.0% vs previous" in html  # MQLs: 4 against 1


def test_a_version_of_another_model_is_refused_next_to_the_field(client, funnel_history):
    first = ModelVersionFactory(model__name="One")
    other = ModelVersionFactory(model__name="Two")
    client.force_login(funnel_history["marketer"])
    response = client.get(
        reverse("insights:marketing"), {"model": first.model_id, "version": other.pk}
    )
    assert response.status_code == 400
    assert "This version is not of that model." in response.content.decode()
    ok = client.get(reverse("insights:marketing"), {"model": first.model_id, "version": first.pk})
    assert ok.status_code == 200 and f'value="{first.pk}" selected' in ok.content.decode()
    # With a model chosen, the version list holds that model's versions only.
    assert ">Two v1</option>" not in ok.content.decode()


def test_the_period_reads_in_one_date_format(client, people):
    client.force_login(people["marketer"])
    html = client.get(reverse("insights:marketing"), MARCH).content.decode()
    assert "MQLs opened Mar 1, 2026 – Mar 31, 2026" in html

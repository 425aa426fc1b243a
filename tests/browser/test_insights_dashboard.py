"""A marketer lands on the marketing dashboard, sees the charts drawn under the CSP, and filters
by campaign (the filter lands in the URL and narrows the numbers)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from tests.factories import ContactFactory, MqlFactory, TeamFactory, user_with_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def dashboard_data():
    user_with_role(roles.MARKETING, username="marketer")
    team = TeamFactory(name="Inside sales")
    now = timezone.now()
    for i, campaign in enumerate(["spring", "spring", "summer"]):
        MqlFactory(
            contact=ContactFactory(first_name=f"Lead{i}"),
            qualified_at=now - timedelta(days=10 + i),
            team=team,
            source="webinar",
            campaign=campaign,
        )


def test_a_marketer_opens_the_dashboard_and_filters_by_campaign(
    live_server, dashboard_data, page, screenshot
):
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url("**/insights/")
    page.locator("canvas[data-chart=volume]").wait_for()
    # Chart.js has drawn (it sets the canvas size) from the json_script data.
    assert page.evaluate(
        "() => !!window.Chart.getChart(document.querySelector('canvas[data-chart=volume]'))"
    )
    assert page.locator(".insight-tile .kpi").first.inner_text() == "3"
    screenshot("marketing-dashboard")

    page.fill("#f-campaign", "spring")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/insights/?*campaign=spring*")
    assert page.locator(".insight-tile .kpi").first.inner_text() == "2"
    assert page.locator("#table-volume").is_visible()
    assert page.console_errors == []

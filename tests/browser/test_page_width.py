"""No page is wider than the screen: the top bar wraps its links (a marketer's are many), and a
hidden definition takes no room, on a phone (390 px) and at 1366 px. Wide tables scroll inside
their own box."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from insights.services import deal_upsert
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    MqlFactory,
    TeamFactory,
    user_with_role,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGES = [
    "/insights/",
    "/insights/sales/",
    "/contacts/",
    "/insights/calibration/",
    "/companies/",
    "/companies/{company}/",
]


@pytest.fixture
def data():
    user_with_role(roles.MARKETING, username="marketer")
    team = TeamFactory(name="Inside sales")
    now = timezone.now()
    for i in range(4):
        MqlFactory(
            contact=ContactFactory(first_name=f"Lead{i}"),
            qualified_at=now - timedelta(days=10 + i),
            team=team,
            source="webinar",
            campaign=f"campaign-with-a-long-name-{i}",
        )
    company = CompanyFactory(name="Internationale Handelsgesellschaft für Robotik und Logistik")
    for i in range(3):
        contact = ContactFactory(
            company=company, email=f"a-rather-long-address-{i}@handelsgesellschaft.example"
        )
        deal_upsert(
            data={
                "contact": contact,
                "name": f"Enterprise rollout, phase {i}",
                "amount": 1_250_000,
                "stage": "lost",
                "lost_reason": "Chose a competitor after a long evaluation",
            }
        )
    return company


@pytest.mark.parametrize("width", [390, 1366])
def test_no_page_is_wider_than_the_screen(live_server, data, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url("**/insights/")
    pages = [path.format(company=data.pk) for path in PAGES]
    widths = {}
    for path in pages:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert widths == dict.fromkeys(pages, width)

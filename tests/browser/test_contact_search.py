"""A marketer logs in, searches a contact, opens its page and sees its stage history."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import roles
from leads.models import EventType, LifecycleStage
from leads.services import stage_change
from tests.factories import ActivityEventFactory, CompanyFactory, ContactFactory, user_with_role

# Transactional (the live server runs in another thread); serialized rollback puts back the
# role groups the migration created, for the tests that run after this one.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def crm():

    marketer = user_with_role(roles.MARKETING, username="marketer", first_name="Maya")
    rep = user_with_role(roles.SALES_REP, username="rep1")
    acme = CompanyFactory(name="Acme Robotics", domain="acme.example", industry="Manufacturing")
    ada = ContactFactory(
        email="ada@acme.example",
        first_name="Ada",
        last_name="Lovelace",
        job_title="VP Engineering",
        company=acme,
        owner=rep,
        source="webinar",
    )
    stage_change(contact=ada, to_stage=LifecycleStage.MQL, reason="Score 85", system="scoring")
    stage_change(contact=ada, to_stage=LifecycleStage.SQL, reason="Accepted by rep", by=rep)
    now = timezone.now()
    for i, event_type in enumerate(
        [EventType.DEMO_REQUEST, EventType.WEBINAR_ATTENDED, EventType.PAGE_VIEW]
    ):
        ActivityEventFactory(
            contact=ada,
            event_type=event_type,
            occurred_at=now - timedelta(hours=i * 5),
            properties={"url": f"/pricing/{i}", "campaign": "spring-launch"},
        )
    stages = list(LifecycleStage)
    for i in range(30):
        ContactFactory(
            first_name=f"Person{i}",
            owner=rep if i % 2 else None,
            lifecycle_stage=stages[i % len(stages)],
        )
    return {"marketer": marketer, "ada": ada}


def test_marketer_searches_a_contact_and_opens_its_history(live_server, crm, page, screenshot):
    page.goto(f"{live_server.url}/contacts/")
    # Not logged in: the login form, then back to the contacts.
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url("**/contacts/")
    assert page.locator("table.contacts tbody tr").count() == 25  # one full page
    screenshot("contacts")

    # Searching swaps only the results (htmx) and puts the search in the URL.
    page.fill("#id_search", "lovelace")
    page.wait_for_url("**/contacts/?*search=lovelace*")
    rows = page.locator("table.contacts tbody tr")
    rows.first.wait_for()
    page.wait_for_function("document.querySelectorAll('table.contacts tbody tr').length === 1")
    assert "Acme Robotics" in rows.first.inner_text()

    # Sorting keeps the search; a later filter change keeps the sort (both stay in the URL).
    page.click("table.contacts th a:has-text('Email')")
    page.wait_for_url("**/contacts/?*sort=email*")
    assert "search=lovelace" in page.url
    page.click("label.chip:has-text('SQL')")
    page.wait_for_url("**/contacts/?*stage=sql*")
    assert "sort=email" in page.url and "search=lovelace" in page.url
    page.wait_for_function("document.querySelectorAll('table.contacts tbody tr').length === 1")

    page.click("text=Ada Lovelace")
    page.wait_for_url(f"**/contacts/{crm['ada'].pk}/")
    assert page.locator("h1").inner_text() == "Ada Lovelace"
    assert page.locator(".stage-now .stage").inner_text() == "SQL"
    history = page.locator("#lifecycle tbody tr")
    assert history.count() == 3
    assert "Accepted by rep" in history.nth(0).inner_text()
    assert "Score 85" in history.nth(1).inner_text()
    assert "Demo request" in page.locator("#timeline").inner_text()
    screenshot("contact")

    page.goto(f"{live_server.url}/accounts/profile/")
    page.click("button:has-text('Create a token')")
    assert page.locator("#new-token").input_value().startswith("lb_")
    screenshot("profile")
    assert page.console_errors == []


def test_api_docs_render_under_the_csp(live_server, crm, page, screenshot):
    page.goto(f"{live_server.url}/accounts/login/?next=/api/docs/")
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url("**/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "LeadBridge API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator("text=/api/v1/contacts/").first.wait_for()
    screenshot("api-docs")
    assert page.console_errors == []

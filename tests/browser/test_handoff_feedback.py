"""A rep rejects an MQL with a reason from the queue; a marketer then sees it in the inbox."""

import pytest
from playwright.sync_api import expect

from core import roles
from handoff.models import Mql
from handoff.services import mqls_assign, mqls_open
from leads.models import LifecycleStage
from scoring.models import Grade
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    ContactScoreFactory,
    ModelVersionFactory,
    TeamFactory,
    TeamMemberFactory,
    user_with_role,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def handoff():
    rep = user_with_role(roles.SALES_REP, username="rep1", first_name="Rita")
    user_with_role(roles.MARKETING, username="marketer", first_name="Maya")
    team = TeamFactory(name="Inside sales", is_fallback=True)
    TeamMemberFactory(team=team, user=rep)
    contacts = [
        ContactFactory(
            first_name=first,
            last_name="Lovelace" if first == "Ada" else "Hopper",
            job_title="VP Engineering",
            company=CompanyFactory(name=company),
            lifecycle_stage=LifecycleStage.MQL,
            source="webinar",
            campaign="spring-launch",
        )
        for first, company in (("Ada", "Acme Robotics"), ("Grace", "Hopper Ltd"))
    ]
    version = ModelVersionFactory(
        model__name="Default",
        fit_rules=[{"field": "job_title", "operator": "contains", "value": "vp", "points": 60}],
    )
    for contact, total in zip(contacts, (90, 75), strict=True):
        ContactScoreFactory(
            contact=contact,
            model_version=version,
            engagement=total - 60,
            grade=Grade.A if total >= 80 else Grade.B,
        )
    ids = mqls_open(contact_ids=[c.pk for c in contacts])
    mqls_assign(mql_ids=ids)
    assert set(Mql.objects.values_list("owner__username", flat=True)) == {"rep1"}
    return {"rep": rep, "ada": Mql.objects.get(contact=contacts[0])}


def log_in(page, url, username):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")


# No database queries while Playwright runs (see conftest): everything is checked on the pages.
def test_a_rep_rejects_with_a_reason_and_marketing_sees_it(live_server, handoff, page, screenshot):
    ada = handoff["ada"]
    log_in(page, f"{live_server.url}/queue/", "rep1")
    page.wait_for_url("**/queue/")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    assert "Keys:" in page.locator("#queue-keys").inner_text()
    assert "Job title contains 'vp' → +60" in rows.first.inner_text()
    assert "Ada Lovelace" in rows.first.inner_text()  # same due time: the higher score first
    assert page.locator("#nav-notifications .badge").inner_text() == "1"  # "2 new MQLs for you"
    screenshot("queue")

    # Search narrows the list through htmx and lands in the URL.
    page.fill("#id_search", "acme")
    page.wait_for_url("**/queue/?*search=acme*")
    expect(rows).to_have_count(1)

    # j selects the row, r opens the MQL at its reject form with the reason focused.
    page.keyboard.press("Escape")  # out of the search field
    page.keyboard.press("j")
    assert "selected" in rows.first.get_attribute("class")
    page.keyboard.press("r")
    page.wait_for_url(f"**/queue/{ada.pk}/#reject")
    expect(page.locator("#id_reason")).to_be_focused()

    # No reason: the error sits next to the field and nothing is decided.
    page.fill("#reject textarea[name=comment]", "Spent the budget on robots")
    page.click("#reject button[type=submit]")
    assert page.locator("#reason-error").inner_text() == "Choose a reason from the list."
    assert "MQL open" in page.locator(".stage-now").inner_text()  # nothing decided
    screenshot("mql-reject-error")
    # The refused form comes back as a 400, which the console reports; nothing else may.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
    page.console_errors.clear()

    page.select_option("#id_reason", label="No budget")
    page.check("#reject input[value=disqualified]")
    page.click("#reject button[type=submit]")
    page.wait_for_url("**/queue/")
    assert "Rejected Ada Lovelace" in page.locator(".message").inner_text()
    assert page.locator("table.queue tbody tr").count() == 1  # Grace is left
    assert page.console_errors == []

    page.context.clear_cookies()
    log_in(page, f"{live_server.url}/feedback/", "marketer")
    page.wait_for_url("**/feedback/")
    row = page.locator("table.decisions tbody tr").first
    text = row.inner_text()
    assert "Ada Lovelace" in text and "No budget" in text
    assert "Spent the budget on robots" in text and "Rita" in text and "webinar" in text
    assert "Disqualified" in text and "Default v1" in text
    assert "Job title contains 'vp' → +60" in text
    counts = page.locator("#reason-counts tr[data-reason=no_budget]").inner_text()
    assert counts.split()[-1] == "1"

    # Filtering by reason keeps it in the URL.
    page.select_option("#id_outcome", "accept")
    page.wait_for_url("**/feedback/?*outcome=accept*")
    expect(page.locator("table.decisions")).to_have_count(0)
    page.select_option("#id_outcome", "reject")
    page.wait_for_url("**/feedback/?*outcome=reject*")
    page.locator("table.decisions").wait_for()
    screenshot("feedback-inbox")
    assert page.console_errors == []

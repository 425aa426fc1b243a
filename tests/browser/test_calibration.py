"""A marketer opens a model's calibration, states a target, copies a suggested threshold pair
into the draft, and backtests the draft from the model page (Celery runs eagerly here)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core import roles
from handoff.models import MemberRole
from leads.models import EventType, LifecycleStage
from scoring.selectors import latest_version
from tests.browser.conftest import SCREENSHOTS
from tests.factories import (
    CMO,
    VISIT,
    ActivityEventFactory,
    ContactFactory,
    TeamFactory,
    TeamMemberFactory,
    published_model,
    user_with_role,
)
from tests.insights.calibration_history import decided_mql, won_deal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def crm():
    marketer = user_with_role(roles.MARKETING, username="marketer", first_name="Maya")
    team = TeamFactory(name="Inside sales", is_fallback=True)
    TeamMemberFactory(team=team, user=user_with_role(roles.SALES_REP, username="rep1"))
    TeamMemberFactory(
        team=team,
        user=user_with_role(roles.SALES_MANAGER, username="boss"),
        role=MemberRole.MANAGER,
    )
    model = published_model(by=marketer, fit=(CMO,), engagement=(VISIT,))
    version = latest_version(model=model)
    cmo, visit = model.fitrules.get().key, model.engagementrules.get().key
    now = timezone.now()
    for i in range(24):
        strong = i % 3 != 0
        at = now - timedelta(days=5 + i * 3)
        contact = ContactFactory(
            lifecycle_stage=LifecycleStage.MQL,
            first_name=f"Lead{i}",
            last_name="Example",
            job_title="CMO" if strong else "Engineer",
        )
        for h in range(2 + i % 4):
            ActivityEventFactory(
                contact=contact,
                event_type=EventType.PAGE_VIEW,
                occurred_at=at - timedelta(hours=h + 1),
            )
        mql = decided_mql(
            version=version,
            contact=contact,
            outcome="accept" if strong and i % 5 else "reject",
            qualified_at=at - timedelta(hours=12),
            decided_at=at,
            fit=25 + 10 * (i % 4) if strong else 20,
            engagement=10 + 5 * (i % 5),
            fired=(cmo, visit) if strong else (visit,),
            reason="not_icp" if not strong else "bad_timing",
        )
        if strong and i % 2:
            won_deal(contact=mql.contact, at=at + timedelta(days=2))
    return {"marketer": marketer, "model": model}


@pytest.fixture
def screenshot(page):
    """Full-page screenshots that leave the caret alone: hiding it gives the inputs an empty
    style attribute, which htmx then copies (settling the swapped inputs by id) under the CSP."""

    def take(name: str) -> None:
        if SCREENSHOTS:
            path = Path(SCREENSHOTS) / f"leadbridge-{name}.png"
            page.screenshot(path=str(path), full_page=True, caret="initial")

    return take


def test_marketer_calibrates_copies_a_pair_and_backtests_the_draft(
    live_server, crm, page, screenshot
):
    model = crm["model"]
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/insights/calibration/{model.pk}/")
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_selector("table.heatmap")
    assert page.locator("table.rule-report tbody tr").count() == 2
    assert page.locator("canvas.frontier-canvas").count() == 1
    screenshot("calibration")

    page.fill("#id_min_sql_rate", "70")
    page.click("#frontier button[type=submit]:has-text('Find thresholds')")
    page.wait_for_selector("table.frontier-matches")
    first = page.locator("table.frontier-matches tbody tr").first
    fit = first.locator("input[name=fit_min]").get_attribute("value")
    engagement = first.locator("input[name=engagement_min]").get_attribute("value")
    first.locator("button:has-text('Copy into the draft')").click()
    page.wait_for_selector("#copied .message")
    assert f"fit ≥ {fit}, engagement ≥ {engagement}" in page.inner_text("#copied")
    screenshot("calibration-frontier")

    page.goto(f"{live_server.url}/scoring/{model.pk}/")
    assert "accepted" in page.inner_text("#rules-fit_rules .rule-figures")
    screenshot("model-page")
    page.fill(f"#backtest-days-{model.pk}", "90")
    page.click("#backtest-panel button:has-text('Backtest the draft')")
    page.wait_for_selector("#backtest-summary")
    assert "as they are now" in page.inner_text("#how")
    kept = int(page.inner_text("[data-count=kept]"))
    assert kept >= 1
    screenshot("backtest")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("backtest-390")
    page.goto(f"{live_server.url}/insights/calibration/{model.pk}/")
    page.wait_for_selector("table.heatmap")
    screenshot("calibration-390")
    assert page.console_errors == []

"""The marketer's flow through the insights, in one browser session: the marketing dashboard
(charts drawn under the CSP), filtered by a campaign; the scoring model's calibration, a target,
a suggested threshold pair copied into the draft; a backtest of that draft started from the
model page's preview card, and its result.

Celery runs eagerly here, as the test settings have it: the backtest task runs inside the
request that starts it (on commit), so its page shows the finished report; the queue itself is
tested with a real worker in tests/test_celery_worker*.py."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from core import roles
from handoff.models import MemberRole
from insights.models import Backtest, BacktestStatus
from leads.models import EventType, LifecycleStage
from scoring.models import ScoringModel
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

MQLS, SUMMER = 24, 6  # every MQL of the last 12 weeks, and those of campaign "summer"


@pytest.fixture
def crm():
    """24 MQLs of one model decided over the last 75 days (6 of them from campaign "summer"):
    16 CMOs (fit 25–55, 13 accepted, some then won) and 8 engineers (fit 20, rejected), each
    with 2–5 page views before its decision; and a CMO never an MQL with 3 recent page views.
    The draft's thresholds, fit ≥ 20 and engagement ≥ 10, reach SQL on 13 of 24 (54%)."""
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
    for i in range(MQLS):
        strong = i % 3 != 0
        at = now - timedelta(days=5 + i * 3)
        contact = ContactFactory(
            lifecycle_stage=LifecycleStage.MQL,
            first_name=f"Lead{i}",
            last_name="Example",
            job_title="CMO" if strong else "Engineer",
            campaign="summer" if i % 4 == 0 else "spring",
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
    newcomer = ContactFactory(first_name="Newcomer", last_name="Example", job_title="CMO")
    for h in range(3):  # never an MQL: a draft that would have sent it finds it "new"
        ActivityEventFactory(
            contact=newcomer, event_type=EventType.PAGE_VIEW, occurred_at=now - timedelta(hours=h)
        )
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


def test_marketer_filters_the_dashboard_calibrates_copies_a_pair_and_backtests_the_draft(
    live_server, crm, page, screenshot
):
    model = crm["model"]
    page.set_viewport_size({"width": 1366, "height": 900})

    # (a) The marketing dashboard is the marketer's home; Chart.js has drawn (it sets the
    # canvas size) from the json_script data.
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "marketer")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]:has-text('Log in')")
    page.wait_for_url("**/insights/")
    page.locator("canvas[data-chart=volume]").wait_for()
    assert page.evaluate(
        "() => !!window.Chart.getChart(document.querySelector('canvas[data-chart=volume]'))"
    )
    mql_volume = page.locator(".insight-tile .kpi").first
    assert mql_volume.inner_text() == str(MQLS)
    screenshot("marketing-dashboard")

    # (b) Filtered by a campaign: the filter is in the URL, the figures are that campaign's.
    page.fill("#f-campaign", "summer")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/insights/?*campaign=summer*")
    assert mql_volume.inner_text() == str(SUMMER)
    assert page.locator("#table-volume").is_visible()
    screenshot("marketing-dashboard-summer")

    # (c) The model's calibration, from the top bar.
    page.click("nav >> text=Calibration")
    page.click(f"a[href='/insights/calibration/{model.pk}/']")
    page.wait_for_selector("table.heatmap")
    assert page.locator("table.rule-report tbody tr").count() == 2
    assert page.locator("canvas.frontier-canvas").count() == 1
    screenshot("calibration")

    # (d) A target, and the best pair meeting it copied into the draft in one click.
    page.fill("#id_min_sql_rate", "70")
    page.click("#frontier button[type=submit]:has-text('Find thresholds')")
    page.wait_for_selector("table.frontier-matches")
    first = page.locator("table.frontier-matches tbody tr").first
    fit = first.locator("input[name=fit_min]").get_attribute("value")
    engagement = first.locator("input[name=engagement_min]").get_attribute("value")
    # The draft's pair misses the target; the most MQLs a month meeting it leave out the
    # engineers (fit 20): fit ≥ 25 and engagement ≥ 10.
    assert (fit, engagement) == ("25", "10")
    first.locator("button:has-text('Copy into the draft')").click()
    page.wait_for_selector("#copied .message")
    assert f"fit ≥ {fit}, engagement ≥ {engagement}" in page.inner_text("#copied")
    draft = ScoringModel.objects.get(pk=model.pk)
    assert (draft.fit_min, draft.engagement_min) == (int(fit), int(engagement))
    screenshot("calibration-frontier")

    # (e) The draft's backtest, started from the model page's preview card.
    page.click("#copied a:has-text('Open the draft')")
    page.wait_for_url(f"**/scoring/{model.pk}/*")
    assert "accepted" in page.inner_text("#rules-fit_rules .rule-figures")
    screenshot("model-page")
    page.fill(f"#preview #backtest-days-{model.pk}", "90")
    page.click("#preview #backtest-panel button:has-text('Backtest the draft')")
    page.wait_for_selector("#backtest-summary")
    assert "as they are now" in page.inner_text("#how")
    backtest = Backtest.objects.get(scoring_model=model)
    assert backtest.status == BacktestStatus.DONE, backtest.error
    assert page.url.endswith(f"/insights/backtests/{backtest.pk}/")
    assert (backtest.definition["fit_min"], backtest.definition["engagement_min"]) == (
        int(fit),
        int(engagement),
    )
    shown = {
        name: int(page.inner_text(f"[data-count={name}]"))
        for name in ("kept", "avoided", "missed", "still_rejected", "new")
    }
    assert shown == {name: backtest.result["counts"][name] for name in shown}
    # Scored now, the CMOs have fit 25 and 10–25 engagement: kept when accepted (13), still
    # sent when rejected (3); the engineers (fit 0) avoided (8); the newcomer is new.
    assert shown == {"kept": 13, "avoided": 8, "missed": 0, "still_rejected": 3, "new": 1}
    screenshot("backtest")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("backtest-390")
    page.goto(f"{live_server.url}/insights/calibration/{model.pk}/")
    page.wait_for_selector("table.heatmap")
    screenshot("calibration-390")
    assert page.console_errors == []

"""Backtesting a draft: the service run inline (Celery's eager mode, as the tests configure it),
its report, the page with its progress, the API, and who may start one."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import roles
from insights.backtest import backtest_run, backtest_start
from insights.models import Backtest, BacktestAnchor, BacktestStatus
from leads.models import EventType, LifecycleStage
from scoring.selectors import latest_version
from scoring.services import rule_add
from tests.factories import (
    CMO,
    VISIT,
    ActivityEventFactory,
    ContactFactory,
    published_model,
    user_with_role,
)
from tests.insights.calibration_history import decided_mql, won_deal

pytestmark = pytest.mark.django_db


def _views(contact, *moments):
    for at in moments:
        ActivityEventFactory(contact=contact, event_type=EventType.PAGE_VIEW, occurred_at=at)


@pytest.fixture
def world(marketer, team, reps):
    """Model "Default" (CMO in the title +25, page views +5 each in 30 days; MQL at fit ≥ 20
    and engagement ≥ 10) and its decisions of the last 90 days:

    * kept: a CMO with two views before the decision, accepted;
    * avoided: an engineer (fit 0), rejected;
    * missed: a CMO accepted, whose views all came after the decision (ignored);
    * missed: an engineer rejected, whose contact later won a deal;
    * rejected, still sent: a CMO with two views before, rejected;
    * new: a CMO never an MQL, three views in the period; an engineer never an MQL does not count;
    * one decision 200 days ago, outside the period."""
    model = published_model(by=marketer, fit=(CMO,), engagement=(VISIT,))
    version = latest_version(model=model)
    now = timezone.now()
    t = now - timedelta(days=20)
    people = {}

    def mql(name, title, outcome, views_before=0, views_after=0, at=t):
        contact = ContactFactory(
            lifecycle_stage=LifecycleStage.MQL, job_title=title, first_name=name, last_name="X"
        )
        _views(contact, *[at - timedelta(days=1, hours=i) for i in range(views_before)])
        _views(contact, *[at + timedelta(days=1, hours=i) for i in range(views_after)])
        people[name] = decided_mql(
            version=version, outcome=outcome, qualified_at=at - timedelta(hours=3),
            decided_at=at, contact=contact,
        )  # fmt: skip
        return people[name]

    mql("Kept", "CMO", "accept", views_before=2)
    mql("Avoided", "Engineer", "reject", views_before=2)
    mql("Missed", "CMO", "accept", views_after=3)
    won = mql("Wonlater", "Engineer", "reject", views_before=2)
    won_deal(contact=won.contact, at=t + timedelta(days=5))
    mql("Stillsent", "CMO", "reject", views_before=2)
    mql("Old", "CMO", "accept", views_before=2, at=now - timedelta(days=200))
    new = ContactFactory(job_title="CMO", first_name="Newcomer", last_name="X")
    _views(new, *[now - timedelta(days=3, hours=i) for i in range(3)])
    other = ContactFactory(job_title="Engineer", first_name="Quiet", last_name="X")
    _views(other, now - timedelta(days=3))
    return {"model": model, "now": now, "people": people, "new": new}


def _run(world, marketer, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        backtest = backtest_start(
            model=world["model"], by=marketer, days=90, now=world["now"], **kwargs
        )
    backtest.refresh_from_db()
    return backtest


def test_backtest_scores_each_decision_as_of_its_time(
    world, marketer, django_capture_on_commit_callbacks
):
    backtest = _run(world, marketer, django_capture_on_commit_callbacks)
    assert backtest.status == BacktestStatus.DONE, backtest.error
    counts = backtest.result["counts"]
    assert {k: counts[k] for k in ("kept", "avoided", "missed", "still_rejected", "new")} == {
        "kept": 1,
        "avoided": 1,
        "missed": 2,
        "still_rejected": 1,
        "new": 1,
    }
    assert (counts["decided"], counts["accepted"], counts["won"]) == (5, 2, 1)
    assert (counts["draft_mqls"], counts["candidates"]) == (2, 2)
    assert backtest.result["rates"] == {
        "acceptance_actual": 0.4,
        "acceptance_draft": 0.5,
        "won_actual": 0.2,
        "won_draft": 0.0,
    }
    examples = backtest.result["examples"]
    names = {k: [e["name"] for e in v] for k, v in examples.items()}
    assert names["kept"] == ["Kept X"]
    assert set(names["missed"]) == {"Missed X", "Wonlater X"}
    assert names["new"] == ["Newcomer X"]
    assert examples["kept"][0]["contact_id"] == world["people"]["Kept"].contact_id
    assert backtest.anchors_done == backtest.anchors_total == 7
    assert backtest.percent == 100


def test_the_draft_is_backtested_not_the_published_version(
    world, marketer, django_capture_on_commit_callbacks
):
    """A draft rule giving engineers fit 25: the two rejected engineers with two views before
    their decision are sent again (one of them won), the quiet one (one view) is not."""
    rule_add(
        model=world["model"],
        kind="fit_rules",
        data={"field": "job_title", "operator": "contains", "value": "engineer", "points": 25},
    )
    backtest = _run(world, marketer, django_capture_on_commit_callbacks)
    counts = backtest.result["counts"]
    assert {k: counts[k] for k in ("kept", "avoided", "missed", "still_rejected", "new")} == {
        "kept": 1,
        "avoided": 0,
        "missed": 1,
        "still_rejected": 3,
        "new": 1,
    }
    assert backtest.result["rates"]["won_draft"] == 0.25
    assert len(backtest.definition["fit_rules"]) == 2  # the draft, frozen on the run


def test_without_new_contacts_no_candidate_is_scored(
    world, marketer, django_capture_on_commit_callbacks
):
    backtest = _run(world, marketer, django_capture_on_commit_callbacks, include_new=False)
    assert backtest.result["counts"]["new"] == 0
    assert backtest.result["counts"]["candidates"] == 0
    assert backtest.anchors_total == 5


def test_a_backtest_runs_once(world, marketer, django_capture_on_commit_callbacks):
    backtest = _run(world, marketer, django_capture_on_commit_callbacks)
    assert backtest_run(backtest_id=backtest.pk) is False  # a second delivery does nothing
    backtest.refresh_from_db()
    assert backtest.anchors_total == 7 and backtest.status == BacktestStatus.DONE
    assert not BacktestAnchor.objects.exists()  # the report is kept, its anchors are not


def test_a_backtest_whose_worker_died_is_run_again(
    world, marketer, django_capture_on_commit_callbacks
):
    backtest = backtest_start(model=world["model"], by=marketer, days=90, now=world["now"])
    long_ago = timezone.now() - timedelta(hours=1)
    Backtest.objects.filter(pk=backtest.pk).update(
        status=BacktestStatus.RUNNING, heartbeat_at=long_ago, anchors_done=3
    )
    assert backtest_run(backtest_id=backtest.pk) is True
    backtest.refresh_from_db()
    assert backtest.status == BacktestStatus.DONE
    assert backtest.result["counts"]["kept"] == 1


def test_a_running_backtest_with_signs_of_life_is_not_claimed_again(world, marketer):
    backtest = backtest_start(model=world["model"], by=marketer, days=90)
    Backtest.objects.filter(pk=backtest.pk).update(
        status=BacktestStatus.RUNNING, heartbeat_at=timezone.now()
    )
    assert backtest_run(backtest_id=backtest.pk) is False


@pytest.mark.parametrize("days", [0, 731, "30", True])
def test_days_out_of_range_is_refused_naming_the_field(world, marketer, days):
    from core.exceptions import DomainError

    with pytest.raises(DomainError) as refused:
        backtest_start(model=world["model"], by=marketer, days=days)
    assert refused.value.field == "days"
    assert not Backtest.objects.exists()


# --- pages --------------------------------------------------------------------------------------


def test_the_model_page_offers_the_backtest_to_marketing_only(world, client, marketer):
    url = reverse("scoring-model", args=[world["model"].pk])
    client.force_login(marketer)
    page = client.get(url).content.decode()
    assert 'id="backtest-panel"' in page
    assert reverse("insights:backtest-new", args=[world["model"].pk]) in page
    client.force_login(user_with_role(roles.SALES_MANAGER, username="m2"))
    assert 'id="backtest-panel"' not in client.get(url).content.decode()


def test_starting_from_the_page_shows_the_report_with_contact_links(
    world, client, marketer, django_capture_on_commit_callbacks
):
    client.force_login(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("insights:backtest-new", args=[world["model"].pk]),
            {"days": "90", "include_new": "on"},
        )
    backtest = Backtest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:backtest", args=[backtest.pk])
    page = client.get(response["Location"]).content.decode()
    assert "as they are now" in page
    assert 'data-count="kept">1<' in page
    assert reverse("contact", args=[world["people"]["Kept"].contact_id]) in page
    assert reverse("contact", args=[world["new"].pk]) in page


def test_the_page_polls_progress_until_done(world, client, marketer):
    client.force_login(marketer)
    backtest = backtest_start(model=world["model"], by=marketer, days=90)  # not run: queued
    url = reverse("insights:backtest", args=[backtest.pk])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    part = client.get(url + "?part=progress", HTTP_HX_REQUEST="true")
    assert "Queued" in part.content.decode() and "<html" not in part.content.decode()
    backtest_run(backtest_id=backtest.pk)
    done = client.get(url + "?part=progress", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_a_bad_days_value_is_a_400_next_to_the_field(world, client, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse("insights:backtest-new", args=[world["model"].pk]), {"days": "0"}
    )
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not Backtest.objects.exists()


@pytest.mark.parametrize("role", [roles.SALES_REP, roles.SALES_MANAGER])
def test_sales_may_not_start_or_read_backtests(world, client, marketer, role):
    backtest = backtest_start(model=world["model"], by=marketer, days=90)
    client.force_login(user_with_role(role, username="seller"))
    new = client.post(reverse("insights:backtest-new", args=[world["model"].pk]), {"days": "9"})
    assert new.status_code == 403
    assert client.get(reverse("insights:backtest", args=[backtest.pk])).status_code == 404


# --- API ----------------------------------------------------------------------------------------


def test_api_starts_a_backtest_and_reports_it(
    world, api_as, marketer, django_capture_on_commit_callbacks
):
    api = api_as(marketer)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            "/api/v1/backtests/", {"model": world["model"].pk, "days": 90}, format="json"
        )
    assert created.status_code == 202, created.content
    detail = api.get(f"/api/v1/backtests/{created.json()['id']}/").json()
    assert detail["status"] == "done"
    assert detail["result"]["counts"]["kept"] == 1
    assert detail["percent"] == 100


@pytest.mark.parametrize(
    ("body", "field"),
    [({"days": 90}, "model"), ({"model": 1, "days": 0}, "days"), ({"model": "x"}, "model")],
)
def test_api_bad_input_is_a_400_naming_the_field(world, api_as, marketer, body, field):
    response = api_as(marketer).post("/api/v1/backtests/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_api_refuses_sales_and_hides_backtests(world, api_as, marketer, rep):
    backtest = backtest_start(model=world["model"], by=marketer, days=90)
    api = api_as(rep)
    body = {"model": world["model"].pk, "days": 90}
    assert api.post("/api/v1/backtests/", body, format="json").status_code == 403
    assert api.get(f"/api/v1/backtests/{backtest.pk}/").status_code == 404
    assert (
        api_as(marketer)
        .post("/api/v1/backtests/", {"model": 999999, "days": 9}, format="json")
        .status_code
        == 404
    )

"""The scheduled rescore: a full run after a publish, otherwise only contacts whose score can
have changed (new events, events leaving a window, changed contacts/companies, decay)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_celery_beat.models import PeriodicTask

from leads.imports.events_ingest import events_ingest
from leads.services import company_upsert, contact_update
from scoring.models import ContactScore, RescoreKind, RescoreRun, RescoreStatus
from scoring.rescore import (
    dirty_contact_ids,
    plan_current,
    plan_steps,
    rescore_dirty_run,
    rescore_scheduled,
    rescore_start,
)
from tests.factories import (
    VISIT,
    ActivityEventFactory,
    CompanyFactory,
    ContactFactory,
    RescoreRunFactory,
    published_model,
)
from tests.scoring.rescoring import full_rescore

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # the full run
T1 = T0 + timedelta(days=1)  # the scheduled run


def visit(contact, at):
    ActivityEventFactory(contact=contact, event_type="page_view", occurred_at=at)


def engagement(contact) -> float:
    return ContactScore.objects.get(contact=contact).engagement


@pytest.fixture
def world(marketer, django_capture_on_commit_callbacks):
    """Contacts made before T0, a full run at T0, then activity between T0 and T1."""
    with time_machine.travel(T0 - timedelta(hours=2), tick=False):
        published_model(by=marketer, engagement=[VISIT])
        leaving, untouched, active, edited = (ContactFactory() for _ in range(4))
        company = CompanyFactory(domain="acme.example", industry="Retail")
        at_company = ContactFactory(company=company)
        visit(leaving, T0 - timedelta(days=29, hours=12))  # leaves the 30-day window at T0+12h
        visit(untouched, T0 - timedelta(days=10))
    with time_machine.travel(T0, tick=False):
        full_rescore(django_capture_on_commit_callbacks, now=T0)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        events_ingest(
            items=[
                {"contact": active.pk, "event_type": "page_view", "occurred_at": T0.isoformat()}
            ],
            by=None,  # a file import: left to the scheduled run
        )
        contact_update(contact=edited, data={"job_title": "CMO"})
        company_upsert(domain="acme.example", data={"industry": "Fintech"})
    return {
        "leaving": leaving,
        "untouched": untouched,
        "active": active,
        "edited": edited,
        "at_company": at_company,
    }


def test_the_schedule_is_hourly_after_migrate():
    task = PeriodicTask.objects.get(task="scoring.rescore_scheduled")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "hours")


def test_only_contacts_whose_score_can_have_changed_are_selected(world):
    full = RescoreRun.objects.get(kind=RescoreKind.FULL)

    ids = dirty_contact_ids(
        steps=plan_steps(plan_current()),
        since=full.as_of,
        since_event=full.event_watermark,
        now=T1,
        upto_event=full.event_watermark + 100,
    )

    expected = {world[k].pk for k in ("leaving", "active", "edited", "at_company")}
    assert set(ids) == expected
    assert world["untouched"].pk not in ids


def test_the_scheduled_run_rescores_what_changed_and_leaves_the_rest(world):
    untouched_score = ContactScore.objects.get(contact=world["untouched"])
    assert engagement(world["leaving"]) == 5

    with time_machine.travel(T1, tick=False):
        run = rescore_scheduled(now=T1)

    assert (run.kind, run.status, run.as_of) == (RescoreKind.SCHEDULED, RescoreStatus.DONE, T1)
    assert run.contacts_scored == 4
    assert engagement(world["leaving"]) == 0  # its visit left the 30-day window
    assert engagement(world["active"]) == 5  # the imported event was picked up
    assert ContactScore.objects.get(contact=world["untouched"]).scored_at == (
        untouched_score.scored_at
    )


def test_a_large_dirty_set_is_handed_to_a_full_rescore_shared_by_the_workers(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from scoring.rescore import scheduled

    monkeypatch.setattr(scheduled, "FULL_MIN", 3)  # 4 contacts can have changed, of 5
    with (
        time_machine.travel(T1, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = rescore_scheduled(now=T1)

    run.refresh_from_db()
    assert (run.kind, run.status, run.contacts_scored) == (
        RescoreKind.FULL,
        RescoreStatus.DONE,
        5,
    )
    assert run.reason == "Scheduled: 4 contacts can have changed, a full run is cheaper"
    assert not RescoreRun.objects.filter(kind=RescoreKind.SCHEDULED).exists()
    assert engagement(world["leaving"]) == 0
    assert engagement(world["active"]) == 5


def test_a_second_scheduled_run_starts_from_the_first(world):
    with time_machine.travel(T1, tick=False):
        rescore_scheduled(now=T1)
    with time_machine.travel(T1 + timedelta(hours=1), tick=False):
        run = rescore_dirty_run(now=T1 + timedelta(hours=1))
    # Nothing happened in between: only the previous interval's new event is read once more
    # (the watermark overlap for late commits), and nothing changes.
    assert (run.contacts_scored, run.scores_changed) == (1, 0)
    with time_machine.travel(T1 + timedelta(hours=2), tick=False):
        run = rescore_dirty_run(now=T1 + timedelta(hours=2))
    assert (run.contacts_scored, run.scores_changed) == (0, 0)


def test_a_published_version_without_a_full_run_gets_one(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer)  # its own full run is queued but (here) never ran
    ContactFactory()
    RescoreRun.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        run = rescore_scheduled()

    run.refresh_from_db()
    assert (run.kind, run.status) == (RescoreKind.FULL, RescoreStatus.DONE)
    assert ContactScore.objects.count() == 1


def test_nothing_is_started_while_a_full_rescore_is_queued_or_running(marketer):
    published_model(by=marketer)
    ContactFactory()
    rescore_start(by=None, reason="queued")
    assert rescore_scheduled() is None  # the queued run is started, its chunks are pending
    assert RescoreRun.objects.get().status == RescoreStatus.RUNNING
    assert rescore_scheduled() is None
    assert not RescoreRun.objects.filter(kind=RescoreKind.SCHEDULED).exists()


def test_contacts_with_events_under_a_decaying_rule_are_rescored_every_run(
    marketer, django_capture_on_commit_callbacks
):
    decaying = {**VISIT, "half_life_days": 7}
    with time_machine.travel(T0 - timedelta(hours=2), tick=False):
        published_model(by=marketer, engagement=[decaying])
        fading, idle = ContactFactory(), ContactFactory()
        visit(fading, T0 - timedelta(days=7))
    with time_machine.travel(T0, tick=False):
        full_rescore(django_capture_on_commit_callbacks, now=T0)
    assert engagement(fading) == 2.5

    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        run = rescore_dirty_run(now=T0 + timedelta(days=7))

    assert run.contacts_scored == 1
    assert engagement(fading) == 1.25
    assert engagement(idle) == 0


def test_a_scheduled_run_whose_process_died_does_not_block_the_next(marketer):
    published_model(by=marketer)
    RescoreRun.objects.all().delete()
    long_ago = T0 - timedelta(hours=1)
    RescoreRunFactory(kind="full", status="done", reason="x", created_at=long_ago,
                      as_of=long_ago, plan=plan_current(), event_watermark=0)  # fmt: skip
    dead = RescoreRunFactory(kind="scheduled", status="running", reason="x",
                             created_at=long_ago, progress_at=long_ago)  # fmt: skip

    run = rescore_scheduled(now=T0)

    dead.refresh_from_db()
    assert dead.status == RescoreStatus.FAILED and "No progress" in dead.error
    assert (run.kind, run.status) == (RescoreKind.SCHEDULED, RescoreStatus.DONE)


def test_a_full_run_without_progress_gets_its_unfinished_chunks_sent_again(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer)
    contact = ContactFactory()
    run = RescoreRun.objects.get()
    from scoring.rescore import rescore_begin

    rescore_begin(run_id=run.pk)  # its chunk messages "lost": never run
    RescoreRun.objects.filter(pk=run.pk).update(progress_at=T0 - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        rescore_scheduled(now=T0)

    run.refresh_from_db()
    assert run.status == RescoreStatus.DONE
    assert ContactScore.objects.filter(contact=contact).exists()


def test_an_event_committed_after_a_run_started_below_its_watermark_is_still_picked_up(world):
    late = world["untouched"]
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        visit(late, T0)
    newest = late.events.order_by("-id").first().pk
    # A scheduled run that started while the event's transaction was still open: its watermark
    # covers the event's id, yet it could not see the event.
    RescoreRunFactory(kind="scheduled", status="done", reason="x", created_at=T0,
                      as_of=T0 + timedelta(hours=1), event_watermark=newest)  # fmt: skip

    with time_machine.travel(T1, tick=False):
        rescore_dirty_run(now=T1)

    assert engagement(late) == 10

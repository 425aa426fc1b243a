"""A chunk of a full rescore whose worker died is sent again by the stall scan, and the run
ends with the scores an undisturbed run gives."""

from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from scoring.models import ContactScore, RescoreChunk, RescoreRun, RescoreStatus
from scoring.rescore import (
    plan_current,
    rescore_begin,
    rescore_chunk_run,
    rescore_repair,
    rescore_start,
    stalled_chunks_resend,
)
from scoring.rescore import runs as runs_module
from scoring.rescore.repair import MAX_CLAIMS
from tests.factories import (
    ActivityEventFactory,
    ContactFactory,
    RescoreRunFactory,
    published_model,
)
from tests.scoring.rescoring import full_rescore
from tests.worker import database_url

pytestmark = pytest.mark.django_db

STALL = timedelta(seconds=180)


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch, marketer):
    settings.STALLED_WORK_AFTER_SECONDS = 180
    monkeypatch.setattr(runs_module, "CHUNK_SIZE", 2)
    published_model(by=marketer)
    for i in range(5):
        contact = ContactFactory(job_title="CMO" if i % 2 else "Intern")
        for days in range(i):
            ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=days))


def scores():
    return list(
        ContactScore.objects.order_by("contact_id").values_list(
            "contact_id", "model_version_id", "fit", "engagement", "mql_eligible"
        )
    )


def begun(capture, as_of):
    """A running full rescore whose chunk messages are not delivered (a test delivers them)."""
    with capture(execute=False):
        run = rescore_start(by=None, reason="stall test", now=as_of)
        rescore_begin(run_id=run.pk)
    return RescoreRun.objects.get(pk=run.pk), list(RescoreChunk.objects.filter(run=run))


def worker_died_on(chunk, at):
    """What a worker killed mid-chunk leaves: its claim committed, its work rolled back."""
    RescoreChunk.objects.filter(pk=chunk.pk).update(claimed_at=at, claims=chunk.claims + 1)


def test_a_chunk_whose_worker_died_is_sent_again_and_the_scores_equal_an_undisturbed_run(
    django_capture_on_commit_callbacks,
):
    as_of = timezone.now()
    undisturbed = full_rescore(django_capture_on_commit_callbacks, now=as_of)
    assert undisturbed.status == RescoreStatus.DONE and undisturbed.chunks_total == 3
    expected = scores()
    ContactScore.objects.all().delete()

    run, (first, second, third) = begun(django_capture_on_commit_callbacks, as_of)
    worker_died_on(first, at=timezone.now())
    assert rescore_chunk_run(chunk_id=second.pk) is True
    assert rescore_chunk_run(chunk_id=third.pk) is True
    assert stalled_chunks_resend(now=timezone.now() + STALL / 2) == []  # not stalled yet

    later = timezone.now() + STALL + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):  # the re-sent task runs (eager)
        assert rescore_repair(now=later) == [first.pk]

    run.refresh_from_db()
    first.refresh_from_db()
    assert run.status == RescoreStatus.DONE and run.chunks_done == 3
    assert (first.done, first.claims, first.resent, first.resent_at) == (True, 2, 1, later)
    assert run.contacts_scored == undisturbed.contacts_scored == 5
    assert scores() == expected


def test_a_re_sent_chunk_is_not_sent_again_before_another_stall_period(
    django_capture_on_commit_callbacks,
):
    run, (first, *_rest) = begun(django_capture_on_commit_callbacks, timezone.now())
    RescoreRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - STALL * 3)
    worker_died_on(first, at=timezone.now() - STALL * 2)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert stalled_chunks_resend(now=now) == [first.pk]
        assert stalled_chunks_resend(now=now + STALL / 2) == []
    assert len(sent) == 1
    # Still not done a stall period after it was re-sent: sent once more (with the two never
    # started, since nothing moved meanwhile).
    assert first.pk in stalled_chunks_resend(now=now + STALL + timedelta(seconds=1))
    first.refresh_from_db()
    assert first.resent == 2


def test_chunks_waiting_in_the_queue_are_not_sent_again_while_the_run_moves(
    django_capture_on_commit_callbacks,
):
    run, (first, second, third) = begun(django_capture_on_commit_callbacks, timezone.now())
    RescoreRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - STALL * 2)
    worker_died_on(first, at=timezone.now() - STALL * 2)
    worker_died_on(second, at=timezone.now())  # a live worker started it just now

    # The third was never started, but a chunk was claimed recently: it waits its turn.
    assert stalled_chunks_resend() == [first.pk]

    # Nothing claimed or finished for a stall period: its message is taken as lost too.
    later = timezone.now() + STALL * 2
    assert stalled_chunks_resend(now=later) == [first.pk, second.pk, third.pk]


def test_a_chunk_that_stopped_its_worker_again_and_again_fails_the_run(
    django_capture_on_commit_callbacks,
):
    run, (first, *_rest) = begun(django_capture_on_commit_callbacks, timezone.now())
    RescoreChunk.objects.filter(pk=first.pk).update(claims=MAX_CLAIMS - 1)
    first.refresh_from_db()
    worker_died_on(first, at=timezone.now())

    assert stalled_chunks_resend(now=timezone.now() + STALL * 2) == []

    run.refresh_from_db()
    assert run.status == RescoreStatus.FAILED
    assert f"started {MAX_CLAIMS} times and the worker stopped each time" in run.error


def test_a_finished_run_has_nothing_to_resend(django_capture_on_commit_callbacks):
    full_rescore(django_capture_on_commit_callbacks)
    assert stalled_chunks_resend(now=timezone.now() + STALL * 10) == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chunk_a_live_worker_is_scoring_is_not_sent_again_however_long_it_takes():
    long_ago = timezone.now() - STALL * 10
    run = RescoreRunFactory(
        status=RescoreStatus.RUNNING, started_at=long_ago, progress_at=long_ago,
        as_of=timezone.now(), plan=plan_current(), chunks_total=1,
    )  # fmt: skip
    chunk = RescoreChunk.objects.create(run=run, lo=0, hi=2**62, claimed_at=long_ago, claims=1)
    # A live worker's transaction holds the chunk (as rescore_chunk_run's does while it scores).
    worker = psycopg.connect(database_url(), autocommit=False)
    try:
        worker.execute("SELECT 1 FROM scoring_rescorechunk WHERE id = %s FOR UPDATE", [chunk.pk])
        assert stalled_chunks_resend() == []
        assert rescore_chunk_run(chunk_id=chunk.pk) is False  # a second delivery: skipped
    finally:
        worker.rollback()  # the worker died: PostgreSQL rolls its transaction back
        worker.close()

    assert stalled_chunks_resend() == [chunk.pk]  # sent again, and run (Celery is eager)

    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.contacts_scored) == ("done", 1, 5)
    assert ContactScore.objects.count() == 5

"""A worker killed in the middle of a full rescore: the run still ends, with the scores an
undisturbed run gives, within STALLED_WORK_AFTER_SECONDS and a little.

The chunk is caught mid-way by holding a lock on the scores table from the test: the worker
has claimed its chunk and waits inside its transaction. Then the worker (the whole worker, or
only its pool process) is SIGKILLed and the lock released. The message of the lost chunk sits
in Redis's `unacked` until the visibility timeout (hours), so only the app's own stall scan
(scoring.rescore_repair, sent here every second in place of beat's every minute) can finish
the run. Needs PostgreSQL and Redis, like tests/test_celery_worker.py.
"""

import os
import signal
import time
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from config.celery import app
from scoring.models import ContactScore, RescoreChunk, RescoreRun, RescoreStatus
from scoring.rescore import rescore_start, runs
from scoring.tasks import rescore_begin_task, rescore_repair_task
from tests.factories import ActivityEventFactory, ContactFactory, RescoreRunFactory, published_model
from tests.worker import database_url, worker_children, worker_start, worker_stop

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

STALL_SECONDS = 3
BOUND_SECONDS = 30  # the run ends this soon after the lock is released
FAST = {"STALLED_WORK_AFTER_SECONDS": str(STALL_SECONDS)}


@pytest.fixture
def workers(redis_url, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the worker test needs PostgreSQL")
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = f"leadbridge-test-{uuid.uuid4().hex[:8]}"
    started = []

    def start(name, **kwargs):
        process = worker_start(queue=queue, tmp_path=tmp_path, name=name, **kwargs)
        started.append(process)
        return process

    start.queue = queue
    start.logs = lambda: "\n".join(
        f"--- {p.log_path.name} ---\n{p.log_path.read_text()}" for p in started
    )
    yield start
    for process in started:
        worker_stop(process)
    print(start.logs())


def scores():
    return list(
        ContactScore.objects.order_by("contact_id").values_list(
            "contact_id", "model_version_id", "fit", "engagement", "mql_eligible"
        )
    )


@pytest.fixture
def reference(marketer, monkeypatch):
    """Contacts over 3 chunks, and the scores an undisturbed full rescore gives them as of
    `as_of`; the scores are then dropped for the run under test."""
    monkeypatch.setattr(runs, "CHUNK_SIZE", 4)  # this process's runs only
    app.conf.task_always_eager = True
    published_model(by=marketer)
    for i in range(10):
        contact = ContactFactory(job_title="CMO" if i % 2 else "Intern")
        for days in range(i % 4):
            ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=days))
    as_of = timezone.now()
    run = rescore_start(by=None, reason="reference", now=as_of)
    run.refresh_from_db()
    assert run.status == RescoreStatus.DONE, run.error
    expected = scores()
    assert len(expected) == 10
    ContactScore.objects.all().delete()
    RescoreRun.objects.all().delete()
    app.conf.task_always_eager = False
    return as_of, expected


def scores_locked():
    """A transaction (another connection) that holds writes to the scores table back."""
    lock = psycopg.connect(database_url(), autocommit=False)
    lock.execute("LOCK TABLE scoring_contactscore IN SHARE ROW EXCLUSIVE MODE")
    return lock


def wait_for(condition, seconds, what, logs):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {seconds}s: {what}\n{logs()}")


def a_chunk_waits_on_the_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
            " AND relation = 'scoring_contactscore'::regclass"
        )
        waiting = cursor.fetchone()[0]
    return bool(waiting) and RescoreChunk.objects.filter(claims__gte=1).exists()


def run_to_the_end(run, workers, real_broker) -> float:
    """Send the repair every second (beat does it every minute) until the run ends."""
    started = time.monotonic()
    deadline = started + BOUND_SECONDS
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            break
        rescore_repair_task.apply_async(queue=workers.queue, connection=real_broker)
        time.sleep(1)
    return time.monotonic() - started


def full_run_on(workers, real_broker, as_of):
    # The worker splits with its own CHUNK_SIZE (20,000): these contacts are in its first
    # chunk, the one the kill catches.
    run = RescoreRunFactory(kind="full", reason="killed worker test", as_of=as_of)
    rescore_begin_task.apply_async(args=[run.pk], queue=workers.queue, connection=real_broker)
    return run


def test_a_rescore_whose_worker_was_killed_ends_with_the_undisturbed_scores_on_a_new_worker(
    workers, real_broker, reference
):
    as_of, expected = reference
    first = workers("first", pool="solo")
    lock = scores_locked()
    try:
        run = full_run_on(workers, real_broker, as_of)
        wait_for(a_chunk_waits_on_the_lock, 40, "a chunk claimed and waiting", workers.logs)
        os.kill(first.pid, signal.SIGKILL)  # the whole worker: solo, its one process
        first.wait(timeout=10)
    finally:
        lock.rollback()
        lock.close()
    workers("second", pool="solo", env=FAST)

    took = run_to_the_end(run, workers, real_broker)

    run.refresh_from_db()
    assert run.status == RescoreStatus.DONE, f"{run.status} {run.error}\n{workers.logs()}"
    assert took < BOUND_SECONDS
    assert run.chunks_done == run.chunks_total
    assert sum(RescoreChunk.objects.values_list("resent", flat=True)) >= 1
    assert scores() == expected


def test_a_rescore_whose_pool_process_was_killed_ends_with_the_undisturbed_scores(
    workers, real_broker, reference
):
    as_of, expected = reference
    worker = workers("prefork", pool="prefork", env=FAST)
    lock = scores_locked()
    try:
        run = full_run_on(workers, real_broker, as_of)
        wait_for(a_chunk_waits_on_the_lock, 40, "a chunk claimed and waiting", workers.logs)
        children = worker_children(worker)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
    finally:
        lock.rollback()
        lock.close()

    took = run_to_the_end(run, workers, real_broker)

    run.refresh_from_db()
    assert run.status == RescoreStatus.DONE, f"{run.status} {run.error}\n{workers.logs()}"
    assert took < BOUND_SECONDS
    assert run.chunks_done == run.chunks_total
    assert worker.poll() is None  # the master lived on and replaced its pool process
    assert scores() == expected

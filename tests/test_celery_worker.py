"""A real Celery worker on Redis runs the tasks it is sent: a contacts import, a full rescore.

Needs PostgreSQL (the worker is another process and must see the committed test rows) and Redis
(REDIS_URL, default redis://127.0.0.1:6379/15). Skipped without them, unless
LEADBRIDGE_REQUIRE_REDIS is set (CI sets it): then it fails instead.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from config.celery import app
from leads.contact_import import import_job_create
from leads.models import Contact, ImportJob, ImportStatus
from leads.tasks import contacts_import_task
from scoring import reference
from scoring.models import ContactScore, RescoreRun, RescoreStatus
from scoring.spec import ModelSpec
from scoring.tasks import rescore_begin_task
from tests.factories import ActivityEventFactory, ContactFactory, RescoreRunFactory, published_model

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT_SECONDS = 60
CELERY = Path(sys.executable).with_name("celery")

# serialized_rollback: the roles (groups) made by a migration survive the flush of a
# transactional test that ran before this one.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _unavailable(reason: str) -> None:
    if os.environ.get("LEADBRIDGE_REQUIRE_REDIS"):
        pytest.fail(f"{reason} (LEADBRIDGE_REQUIRE_REDIS is set)")
    pytest.skip(reason)


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis does not answer at {REDIS_URL}: {exc}")
    return REDIS_URL


def _database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(s['NAME'], safe='')}"


@pytest.fixture
def worker(redis_url, tmp_path, settings):
    """A `celery worker` subprocess on its own queue, against the test database; yields the queue."""
    if connection.vendor != "postgresql":
        _unavailable("the worker test needs PostgreSQL (set DATABASE_URL); on SQLite it is skipped")
    if not CELERY.exists():
        pytest.fail(f"no celery executable at {CELERY}")
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's LEADBRIDGE_VAR_DIR/media
    queue = f"leadbridge-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "SECRET_KEY": "worker-test-only",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_url,
        "LEADBRIDGE_VAR_DIR": str(tmp_path),
        "DB_CONN_MAX_AGE": "0",
        # Tasks the worker sends itself (e.g. a rescore's chunks) go to its own queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],  # fmt: skip
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process.log_path = log_path
    process.queue = queue
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        # Shown by pytest only when the test fails.
        print(f"--- celery worker output ---\n{log_path.read_text()}")


@pytest.fixture
def real_broker(redis_url):
    """The test settings run tasks eagerly; here they go through Redis."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(redis_url) as conn:
            yield conn
    finally:
        app.conf.task_always_eager = eager


def test_a_real_worker_runs_the_contacts_import_task(worker, real_broker, marketer):
    rows = "".join(f"worker{i}@example.com,W{i}\n" for i in range(30))
    job, _info = import_job_create(
        by=marketer,
        upload=SimpleUploadedFile("worker.csv", f"email,first_name\n{rows}bad,X\n".encode()),
        filename="worker.csv",
    )
    ImportJob.objects.filter(pk=job.pk).update(
        mapping={"email": "email", "first_name": "first_name"}
    )

    contacts_import_task.apply_async(args=[job.pk], queue=worker.queue, connection=real_broker)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished or worker.poll() is not None:
            break
        time.sleep(0.2)
    log = worker.log_path.read_text()
    assert job.status == ImportStatus.DONE, f"job {job.status} ({job.error}); worker log:\n{log}"
    assert (job.created_count, job.rejected_count, job.processed_rows) == (30, 1, 31)
    assert Contact.objects.filter(email__startswith="worker").count() == 30
    assert "leads.contacts_import" in log and "succeeded" in log, log


def _contacts_far_apart(per_range: int, ranges: int) -> list:
    """Contacts in id ranges 40,000 apart, so a full rescore has several chunks of 20,000."""
    contacts = []
    for _ in range(ranges):
        contacts += [
            ContactFactory(job_title="CMO" if i % 2 else "Intern") for i in range(per_range)
        ]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('leads_contact', 'id')")
            sequence = cursor.fetchone()[0]
            cursor.execute(f"ALTER SEQUENCE {sequence} RESTART WITH {contacts[-1].pk + 40_000}")
    return contacts


def test_a_real_worker_runs_a_full_rescore_through_its_chunk_tasks(worker, real_broker, marketer):
    # Setting up runs in this process (eager), scoring included; then the scores are dropped
    # and a full rescore is sent to the worker, which sends itself one task per chunk.
    app.conf.task_always_eager = True
    contacts = _contacts_far_apart(per_range=4, ranges=3)
    for contact in contacts[::3]:
        for days in (1, 2):
            ActivityEventFactory(contact=contact, event_type="page_view",
                                 occurred_at=timezone.now() - timedelta(days=days))  # fmt: skip
    model = published_model(by=marketer)
    ContactScore.objects.all().delete()
    RescoreRun.objects.all().delete()
    app.conf.task_always_eager = False
    run = RescoreRunFactory(kind="full", reason="worker test", created_at=timezone.now())

    rescore_begin_task.apply_async(args=[run.pk], queue=worker.queue, connection=real_broker)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished or worker.poll() is not None:
            break
        time.sleep(0.2)
    log = worker.log_path.read_text()
    assert run.status == RescoreStatus.DONE, f"run {run.status} ({run.error}); log:\n{log}"
    assert run.chunks_total == run.chunks_done >= 5  # a range holding no contact is a chunk too
    assert run.contacts_scored == len(contacts) == ContactScore.objects.count()
    assert log.count("scoring.rescore_chunk") >= run.chunks_total
    spec = ModelSpec.from_dict(model.versions.get().definition)
    for contact in contacts:
        expected = reference.evaluate(spec, contact, list(contact.events.all()), run.as_of)
        score = ContactScore.objects.get(contact=contact)
        assert (score.fit, score.engagement, score.mql_eligible) == (
            expected.fit,
            expected.engagement,
            expected.mql_eligible,
        ), contact.pk
    eligible = {s.contact_id for s in ContactScore.objects.filter(mql_eligible=True)}
    assert eligible and eligible == set(
        Contact.objects.filter(lifecycle_stage="mql").values_list("pk", flat=True)
    )

"""A real Celery worker on Redis runs the contacts import task it was sent.

Needs PostgreSQL (the worker is another process and must see the committed test rows) and Redis
(REDIS_URL, default redis://127.0.0.1:6379/15). Skipped without them, unless
LEADBRIDGE_REQUIRE_REDIS is set (CI sets it): then it fails instead.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from config.celery import app
from leads.contact_import import import_job_create
from leads.models import Contact, ImportJob, ImportStatus
from leads.tasks import contacts_import_task

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

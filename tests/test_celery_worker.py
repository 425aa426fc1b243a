"""A real Celery worker on Redis runs the tasks it is sent: a contacts import, a full rescore.

Needs PostgreSQL (the worker is another process and must see the committed test rows) and Redis
(REDIS_URL, default redis://127.0.0.1:6379/15). Skipped without them, unless
LEADBRIDGE_REQUIRE_REDIS is set (CI sets it): then it fails instead. The worker fixtures are in
tests/conftest.py.
"""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from config.celery import app
from leads.imports.jobs import import_job_create
from leads.models import Contact, ImportJob, ImportStatus
from leads.tasks import contacts_import_task
from scoring import reference
from scoring.models import ContactScore, RescoreRun, RescoreStatus
from scoring.spec import ModelSpec
from scoring.tasks import rescore_begin_task
from tests.factories import ActivityEventFactory, ContactFactory, RescoreRunFactory, published_model
from tests.worker import WAIT_SECONDS

# serialized_rollback: the roles (groups) made by a migration survive the flush of a
# transactional test that ran before this one.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


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

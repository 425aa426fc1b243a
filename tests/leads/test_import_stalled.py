"""A contacts import whose worker died is marked failed, saying which rows were imported."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from leads.imports import contacts_csv
from leads.imports.jobs import import_job_create, import_job_run, imports_stalled_fail
from leads.models import Contact, ImportJob, ImportStatus
from leads.tasks import imports_stalled_fail_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STALLED_WORK_AFTER_SECONDS = 180


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no except clause."""


def job_for(user, rows: int) -> ImportJob:
    text = "email\n" + "".join(f"row{i}@example.com\n" for i in range(1, rows + 1))
    job, _info = import_job_create(
        by=user, upload=SimpleUploadedFile("c.csv", text.encode()), filename="c.csv"
    )
    ImportJob.objects.filter(pk=job.pk).update(mapping={"email": "email"})
    return job


def run_until_killed_after(job, chunks: int, monkeypatch) -> None:
    """Run the job with chunks of 2 rows; the worker dies as chunk `chunks + 1` starts."""
    monkeypatch.setattr(contacts_csv, "CHUNK", 2)
    chunk_run = contacts_csv._chunk_run
    calls = []

    def dies(*args, **kwargs):
        calls.append(1)
        if len(calls) > chunks:
            raise WorkerKilled
        return chunk_run(*args, **kwargs)

    monkeypatch.setattr(contacts_csv, "_chunk_run", dies)
    with pytest.raises(WorkerKilled):
        import_job_run(job_id=job.pk)


def test_an_import_whose_worker_died_is_failed_with_the_rows_that_were_imported(
    marketer, monkeypatch
):
    job = job_for(marketer, rows=7)
    run_until_killed_after(job, chunks=2, monkeypatch=monkeypatch)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Contact.objects.count()) == ("running", 4, 4)

    later = job.updated_at + timedelta(seconds=181)
    assert imports_stalled_fail(now=later) == [job.pk]

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at == later
    assert "worker running this import stopped: rows 1–4 of 7 were imported" in job.error
    assert "Upload the file again to import the rest" in job.error
    # The rows committed before the worker died stay imported.
    assert set(Contact.objects.values_list("email", flat=True)) == {
        f"row{i}@example.com" for i in range(1, 5)
    }
    assert imports_stalled_fail(now=later + timedelta(minutes=5)) == []


def test_an_import_that_died_before_its_first_chunk_says_nothing_was_imported(
    marketer, monkeypatch
):
    job = job_for(marketer, rows=3)
    run_until_killed_after(job, chunks=0, monkeypatch=monkeypatch)

    imports_stalled_fail(now=timezone.now() + timedelta(seconds=181))

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith("The worker running this import stopped before any row")


def test_a_running_import_with_a_recent_heartbeat_is_left_alone(marketer, monkeypatch):
    job = job_for(marketer, rows=7)
    run_until_killed_after(job, chunks=3, monkeypatch=monkeypatch)
    job.refresh_from_db()

    assert imports_stalled_fail(now=job.updated_at + timedelta(seconds=179)) == []
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING


def test_the_beat_task_fails_a_stalled_import_and_a_late_copy_of_its_task_does_nothing(
    marketer, settings
):
    job = job_for(marketer, rows=3)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now() - timedelta(hours=1)
    )
    settings.STALLED_WORK_AFTER_SECONDS = 60

    assert imports_stalled_fail_task.delay().get() == 1
    # The job is no longer pending: a late delivery of its task does nothing.
    assert import_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "before any row" in job.error


def test_pending_and_finished_imports_are_not_touched(marketer):
    pending = job_for(marketer, rows=1)
    done = job_for(marketer, rows=1)
    import_job_run(job_id=done.pk)
    ImportJob.objects.update(updated_at=timezone.now() - timedelta(days=1))

    assert imports_stalled_fail() == []
    assert {j.pk: j.status for j in ImportJob.objects.all()} == {
        pending.pk: ImportStatus.PENDING,
        done.pk: ImportStatus.DONE,
    }

"""Import jobs: a CSV file uploaded in the browser, mapped, then run inline or by a worker.

A job has a kind (leads.imports.kinds): contacts, imported set-based by contacts_csv, or a kind
an app above registered, imported row by row through that app's writer (leads.imports.rows).
Everything else is the same for every kind.

Lifecycle: import_job_create stores the file (PENDING); import_job_start saves the mapping and
runs it, inline for a small file, else through the Celery task leads.contacts_import (which
runs jobs of every kind); import_job_run claims the job with a conditional UPDATE (PENDING → RUNNING, so a second run is
a no-op), commits each chunk of rows and saves progress after it (`updated_at` is the job's
heartbeat), and ends it DONE or FAILED. imports_stalled_fail (every minute) fails a job whose
worker died: RUNNING with no heartbeat for STALLED_WORK_AFTER_SECONDS.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from leads.imports.contacts_csv import (
    INITIAL_STAGES,
    ContactImportResult,
    CsvInfo,
    contacts_import,
    csv_inspect,
)
from leads.imports.contacts_mapping import mapping_validate
from leads.imports.kinds import CONTACTS, import_kind_get, kind_mapping_validate
from leads.imports.rows import rows_import
from leads.models import ImportJob, ImportStatus, LifecycleStage

if TYPE_CHECKING:
    from django.contrib.auth.models import User

INLINE_MAX_ROWS = 2_000  # larger files run as a Celery task


def import_job_create(
    *, by: "User", upload, filename: str, kind: str = CONTACTS.name
) -> tuple[ImportJob, CsvInfo]:
    """Store an uploaded CSV of `kind` as a pending job, after checking it is a usable CSV file
    (the caller checks that the user may import this kind)."""
    kind = import_kind_get(kind).name
    if not filename.lower().endswith((".csv", ".txt", ".tsv")):
        raise DomainError("Upload a .csv file (comma, semicolon or tab separated).", field="file")
    job = ImportJob(created_by=by, original_filename=filename[:255], kind=kind)
    job.file.save(Path(filename).name, upload, save=False)
    try:
        info = csv_inspect(path=Path(job.file.path))
    except DomainError:
        job.file.delete(save=False)
        raise
    job.total_rows = info.total_rows
    job.save()
    return job, info


def import_job_start(
    *, job: ImportJob, mapping: dict[str, str], stage: str = LifecycleStage.LEAD
) -> ImportJob:
    """Save the mapping and run the job: inline when small, else queued for a Celery worker.
    `stage` is where new contacts start (contacts only)."""
    from leads import tasks  # leads.tasks imports this module

    if job.status != ImportStatus.PENDING:
        raise DomainError("This import has already been started.", field="status")
    kind = import_kind_get(job.kind)
    info = csv_inspect(path=Path(job.file.path), preview_rows=0)
    if kind.row_import is None:
        if stage not in INITIAL_STAGES:
            raise DomainError(
                f"New contacts start in {' or '.join(INITIAL_STAGES)}, not {stage!r}.",
                field="stage",
            )
        job.mapping = mapping_validate(mapping=mapping, headers=info.headers)
        job.options = {"stage": stage}
    else:
        job.mapping = kind_mapping_validate(kind=kind, mapping=mapping, headers=info.headers)
        job.options = {}
    job.total_rows = info.total_rows
    job.save(update_fields=["mapping", "options", "total_rows", "updated_at"])
    if info.total_rows <= INLINE_MAX_ROWS:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: tasks.contacts_import_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int, now: datetime | None = None) -> bool:
    """Run a pending job; False if another run claimed it first (safe to call twice)."""
    now = now or timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    if claimed != 1:
        return False
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    running = ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING)
    rejected_name = f"{Path(job.file.name).stem}-rejected.csv"
    job.rejected_file.save(rejected_name, ContentFile(b""), save=False)

    def progress(result: ContactImportResult) -> None:
        running.update(**_counts(result), updated_at=timezone.now())

    try:
        kind = import_kind_get(job.kind)
        if kind.row_import is None:
            result = contacts_import(
                path=Path(job.file.path),
                mapping=job.mapping,
                by=job.created_by,
                stage=job.options.get("stage", LifecycleStage.LEAD),
                reason=f"Imported from {job.original_filename}",
                rejected_path=Path(job.rejected_file.path),
                progress=progress,
                now=now,
            )
        else:
            result = rows_import(
                kind=kind,
                path=Path(job.file.path),
                mapping=job.mapping,
                by=job.created_by,
                rejected_path=Path(job.rejected_file.path),
                progress=progress,
                now=now,
            )
    except DomainError as exc:
        running.update(status=ImportStatus.FAILED, error=exc.message, finished_at=timezone.now())
        return True
    except Exception as exc:
        running.update(
            status=ImportStatus.FAILED,
            error=f"The import stopped with an unexpected error: {exc.__class__.__name__}.",
            finished_at=timezone.now(),
        )
        raise
    running.update(
        status=ImportStatus.DONE,
        rejected_rows=result.rejected_rows,
        rejected_file=job.rejected_file.name,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **_counts(result),
    )
    return True


def _counts(result: ContactImportResult) -> dict:
    return {
        "processed_rows": result.total,
        "created_count": result.created,
        "updated_count": result.updated,
        "unchanged_count": result.unchanged,
        "rejected_count": result.rejected,
    }


def imports_stalled_fail(*, now: datetime | None = None) -> list[int]:
    """Fail the imports whose worker died: RUNNING with no progress saved for
    STALLED_WORK_AFTER_SECONDS (a chunk of rows takes seconds). The rows of the chunks committed
    before it stayed imported, and the message says so; the job is not resumed, because the
    chunk that was being written when the worker died may be half-known. Returns their ids."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.STALLED_WORK_AFTER_SECONDS)
    failed = []
    with transaction.atomic():
        stalled = ImportJob.objects.select_for_update(skip_locked=True).filter(
            status=ImportStatus.RUNNING, updated_at__lt=cutoff
        )
        for job in stalled.only("pk", "processed_rows", "total_rows"):
            done = ImportJob.objects.filter(
                pk=job.pk, status=ImportStatus.RUNNING, updated_at__lt=cutoff
            ).update(
                status=ImportStatus.FAILED,
                error=stalled_message(processed=job.processed_rows, total=job.total_rows),
                finished_at=now,
                updated_at=now,
            )
            if done:
                failed.append(job.pk)
    return failed


def stalled_message(*, processed: int, total: int) -> str:
    if not processed:
        return (
            "The worker running this import stopped before any row was imported. "
            "Upload the file again to import it."
        )
    return (
        f"The worker running this import stopped: rows 1–{processed} of {total} were imported "
        "(the counts below). Upload the file again to import the rest; the rows already "
        "imported come back unchanged, not duplicated."
    )

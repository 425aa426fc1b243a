"""Celery tasks of the leads domain: take ids, call one service."""

from celery import shared_task

from leads.imports.jobs import import_job_run, imports_stalled_fail


@shared_task(name="leads.contacts_import")
def contacts_import_task(job_id: int) -> bool:
    """Run an import job (contacts, or a kind registered on hooks.import_kinds). Safe to run
    twice: the service claims the job first."""
    return import_job_run(job_id=job_id)


@shared_task(name="leads.imports_stalled_fail")
def imports_stalled_fail_task() -> int:
    """Every minute: fail the contact imports whose worker died, saying what was imported."""
    return len(imports_stalled_fail())

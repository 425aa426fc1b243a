"""Celery tasks of the leads domain: take ids, call one service."""

from celery import shared_task

from leads.imports.jobs import import_job_run


@shared_task(name="leads.contacts_import")
def contacts_import_task(job_id: int) -> bool:
    """Run a contacts import job. Safe to run twice: the service claims the job first."""
    return import_job_run(job_id=job_id)

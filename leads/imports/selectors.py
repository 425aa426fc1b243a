"""Reads of import jobs, for a user."""

from django.db.models import QuerySet
from django.http import Http404

from core.roles import is_admin
from leads.imports.kinds import import_kinds_for_user
from leads.models import ImportJob


def import_jobs_for_user(*, user) -> QuerySet[ImportJob]:
    """The user's own import jobs of the kinds they may import; an admin sees everybody's."""
    jobs = ImportJob.objects.select_related("created_by")
    kinds = [kind.name for kind in import_kinds_for_user(user)]
    if not kinds:
        return jobs.none()
    jobs = jobs.filter(kind__in=kinds)
    if is_admin(user):
        return jobs
    return jobs.filter(created_by=user)


def import_job_get_for_user(*, user, pk) -> ImportJob:
    """One import job, or 404 when it does not exist or is not the user's."""
    try:
        return import_jobs_for_user(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import") from None

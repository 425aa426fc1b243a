"""Reads of import jobs, for a user."""

from django.db.models import Q, QuerySet
from django.http import Http404

from core.roles import is_admin
from leads.models import ImportJob


def import_jobs_for_user(*, user) -> QuerySet[ImportJob]:
    """The user's own import jobs; an admin sees everybody's. Nothing without the permission."""
    jobs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.has_perm("leads.import_contacts"):
        return jobs.none()
    if is_admin(user):
        return jobs
    return jobs.filter(Q(created_by=user))


def import_job_get_for_user(*, user, pk) -> ImportJob:
    """One import job, or 404 when it does not exist or is not the user's."""
    try:
        return import_jobs_for_user(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import") from None

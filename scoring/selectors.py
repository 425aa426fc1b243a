"""Reads of the scoring domain, for a user."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from scoring.models import RescoreRun

VIEW_SCORING = "scoring.view_scoringmodel"
START_RESCORE = "scoring.start_rescore"


def rescore_runs_for_user(*, user) -> QuerySet[RescoreRun]:
    """Rescore runs, newest first: everyone who may read scoring models sees them all."""
    if not user.has_perm(VIEW_SCORING):
        raise PermissionDenied("You need the scoring.view_scoringmodel permission for this.")
    return RescoreRun.objects.select_related("started_by").order_by("-created_at", "-id")


def rescore_run_get_for_user(*, user, pk: int) -> RescoreRun:
    return get_object_or_404(rescore_runs_for_user(user=user), pk=pk)

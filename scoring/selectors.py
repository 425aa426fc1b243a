"""Reads of the scoring domain: models, versions and scores, each for the user asking."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from leads.models import Contact
from leads.selectors import contact_get_for_user
from scoring.models import ContactScore, ModelVersion, RescoreRun, ScoringModel
from scoring.spec import Condition, segment_from_list

VIEW_PERM = "scoring.view_scoringmodel"
VIEW_SCORING = VIEW_PERM
START_RESCORE = "scoring.start_rescore"


def models_for_user(*, user) -> QuerySet[ScoringModel]:
    """The scoring models this user may read (every role with scoring.view_scoringmodel)."""
    if not user.is_authenticated or not user.has_perm(VIEW_PERM):
        return ScoringModel.objects.none()
    return ScoringModel.objects.all()


def model_get_for_user(*, user, pk) -> ScoringModel:
    """One scoring model, or 404 when it does not exist or the user may not read models."""
    try:
        return models_for_user(user=user).get(pk=pk)
    except (ScoringModel.DoesNotExist, ValueError, TypeError):
        raise Http404("No such scoring model") from None


def latest_version(*, model: ScoringModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()


def version_get(*, model: ScoringModel, number) -> ModelVersion:
    """A version of `model` by its number, or 404."""
    try:
        return model.versions.get(number=int(number))
    except (ModelVersion.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such version") from None


def models_ahead_of(*, model: ScoringModel) -> QuerySet[ScoringModel]:
    """Active models that win over `model` where segments overlap: higher priority, or the same
    priority and a name earlier in the alphabet (the models list order, -priority then name)."""
    return (
        ScoringModel.objects.filter(is_active=True)
        .exclude(pk=model.pk)
        .filter(Q(priority__gt=model.priority) | Q(priority=model.priority, name__lt=model.name))
    )


def shadowing_segments(*, model: ScoringModel) -> tuple[tuple[Condition, ...], ...]:
    """The published segments of the models ahead of `model`: contacts in one of them are not
    this model's (pass as `shadowed_by` to the engine). A model never published scores nobody,
    so it shadows nobody."""
    segments = []
    for other in models_ahead_of(model=model):
        version = latest_version(model=other)
        if version is not None:
            segments.append(segment_from_list(version.definition.get("segment") or []))
    return tuple(segments)


def contact_current_score(*, contact: Contact) -> ContactScore | None:
    """The contact's current score, or None when it has not been scored yet.

    A contact is scored by at most one active model (the first whose segment it is in); should
    several scores exist (e.g. a model's segment changed and the rescore has not run yet), the
    active model ahead in the list order (priority, then name) wins. Scores of inactive models
    are not current.
    """
    return current_scores().filter(contact=contact).select_related("model", "model_version").first()


def current_scores() -> QuerySet[ContactScore]:
    """Scores of active models, the current one of each contact first (see
    contact_current_score)."""
    return ContactScore.objects.filter(model__is_active=True).order_by(
        "-model__priority", "model__name"
    )


def current_scores_of(contact_ids: list[int]) -> dict[int, dict]:
    """{contact id: its current score's total, fit, engagement, grade and eligibility} for a
    page of contacts, in one query; unscored contacts are missing."""
    rows = (
        current_scores()
        .filter(contact_id__in=contact_ids)
        .values("contact_id", "total", "fit", "engagement", "grade", "mql_eligible")
    )
    scores: dict[int, dict] = {}
    for row in rows:
        scores.setdefault(row["contact_id"], row)
    return scores


def contact_score_for_user(*, user, contact_id) -> tuple[Contact, ContactScore | None]:
    """(contact, its current score) for a contact the user may see; 404 otherwise."""
    contact = contact_get_for_user(user=user, pk=contact_id)
    return contact, contact_current_score(contact=contact)


def rescore_runs_for_user(*, user) -> QuerySet[RescoreRun]:
    """Rescore runs, newest first: everyone who may read scoring models sees them all."""
    if not user.has_perm(VIEW_SCORING):
        raise PermissionDenied("You need the scoring.view_scoringmodel permission for this.")
    return RescoreRun.objects.select_related("started_by").order_by("-created_at", "-id")


def rescore_run_get_for_user(*, user, pk: int) -> RescoreRun:
    return get_object_or_404(rescore_runs_for_user(user=user), pk=pk)

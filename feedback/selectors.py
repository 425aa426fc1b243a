"""Reads of the feedback: the decisions sales made, for the roles that may read them."""

from django.db.models import Count, Q, QuerySet
from rest_framework.exceptions import PermissionDenied

from feedback.models import Decision, Outcome, RejectReason


def decisions_for_user(*, user) -> QuerySet[Decision]:
    """Marketing, managers and admins read every decision (feedback.view_decision)."""
    if not user.has_perm("feedback.view_decision"):
        raise PermissionDenied("You need the feedback.view_decision permission for this.")
    return Decision.objects.select_related(
        "mql__contact__company", "by", "reason", "team", "model_version__model"
    )


def reason_counts(decisions: QuerySet[Decision]) -> dict:
    """Accepted, rejected, and rejections per reason (every active reason listed, even at 0)."""
    totals = decisions.aggregate(
        accepted=Count("pk", filter=Q(outcome=Outcome.ACCEPT)),
        rejected=Count("pk", filter=Q(outcome=Outcome.REJECT)),
    )
    per_reason = dict(
        decisions.filter(outcome=Outcome.REJECT)
        .values_list("reason__code")
        .annotate(n=Count("pk"))
        .values_list("reason__code", "n")
    )
    reasons = RejectReason.objects.filter(Q(is_active=True) | Q(code__in=list(per_reason)))
    return {
        **totals,
        "reasons": [
            {"code": r.code, "label": r.label, "count": per_reason.get(r.code, 0)} for r in reasons
        ],
    }

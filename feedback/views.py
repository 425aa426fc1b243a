"""Pages of the feedback: sales' accept / reject forms posted from the MQL page, and the inbox
of their latest decisions for marketing, with counts per reason.

The decision views parse the form and call feedback.services; the MQL page answers, as for
handoff's own actions (handoff.pages.mql_page_action): the queue on success, the page again with
the message next to the field (400) or the news that someone else decided first (409).
"""

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.views.decorators.http import require_GET, require_POST

from core.http import list_template, page_render
from feedback import services
from feedback.filters import DecisionFilter
from feedback.forms import AcceptForm, RejectForm
from feedback.models import Decision
from feedback.selectors import decisions_for_user, reason_counts
from handoff.pages import mql_page_action
from scoring.describe import rule_sentences

# --- sales' decision, from the MQL page ---------------------------------------------------------


@require_POST
def mql_accept(request, pk: int):
    return mql_page_action(
        request,
        pk,
        perm="handoff.change_mql",
        key="accept",
        form=AcceptForm(request.POST),
        action=lambda mql, d: services.mql_accept(mql=mql, by=request.user, note=d["note"]),
        success="Accepted {contact}: the contact is now an SQL.",
        to_queue=True,
    )


@require_POST
def mql_reject(request, pk: int):
    return mql_page_action(
        request,
        pk,
        perm="handoff.change_mql",
        key="reject",
        form=RejectForm(request.POST),
        action=lambda mql, d: services.mql_reject(mql=mql, by=request.user, **d),
        success="Rejected {contact}.",
        to_queue=True,
    )


# --- the inbox ----------------------------------------------------------------------------------

PAGE_SIZE = 50


class InboxFilter(DecisionFilter):
    """The API's decision filters, with plain dates (inclusive) for the page's date inputs."""

    decided_after = django_filters.DateFilter(
        field_name="decided_at",
        lookup_expr="date__gte",
        label="Decided from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    decided_before = django_filters.DateFilter(
        field_name="decided_at",
        lookup_expr="date__lte",
        label="Decided until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@require_GET
def inbox(request):
    if not request.user.has_perm("feedback.view_decision"):
        raise PermissionDenied
    filterset = InboxFilter(request.GET or None, queryset=decisions_for_user(user=request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    decisions = filterset.qs if valid else Decision.objects.none()
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page)
    sentences = rule_sentences([(d.model_version_id, d.rule_keys or []) for d in items])
    context = {
        "filter": filterset,
        "form": filterset.form,
        "filters_valid": valid,
        "page": page,
        "rows": list(zip(items, sentences, strict=True)),
        "counts": reason_counts(decisions) if valid else None,
    }
    return page_render(request, list_template(request, "feedback/inbox.html"), context)

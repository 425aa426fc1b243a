"""The MQL page and the rows of the queue, for handoff's views and the apps above that act on
an MQL from its page (feedback's accept / reject forms, a panel of handoff.hooks.mql_page_panels,
post to feedback's views, which answer through mql_page_action like handoff's own actions).

Access as in the API: an MQL is read through the selectors (404 for what is not yours or your
team's), and each action needs the role's permission (403 without it). A refused action
re-renders the page with the message next to the field (400), or says that someone else
decided first (409).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from core.exceptions import ConflictError, DomainError
from core.http import page_render, page_require
from core.roles import is_admin
from handoff import hooks, selectors, services
from handoff.forms import ReassignForm, TouchForm, add_domain_error
from handoff.models import Mql, MqlStatus, SlaClock
from scoring.describe import rule_sentences


@dataclass
class QueueRow:
    mql: Mql
    clocks: list[SlaClock]
    events: list
    reasons: list[str] = field(default_factory=list)
    now: object = None

    @property
    def clock(self) -> SlaClock | None:
        return self.clocks[0] if self.clocks else None

    @property
    def state(self) -> str:
        return selectors.clock_state(self.clock, self.now) if self.clock else "none"

    @property
    def time_left(self):
        return self.clock.due_at - self.now if self.clock else None


def queue_rows(mqls: list[Mql]) -> list[QueueRow]:
    now = timezone.now()
    clocks = selectors.running_clocks(mqls)
    events = selectors.recent_events(mqls)
    sentences = rule_sentences(
        [(m.model_version_id, [item["rule"] for item in m.breakdown or []]) for m in mqls]
    )
    return [
        QueueRow(m, clocks[m.pk], events[m.contact_id], reasons, now)
        for m, reasons in zip(mqls, sentences, strict=True)
    ]


def mql_for_page(request, pk: int, perm: str | None = None) -> Mql:
    """The MQL if the user may see it (404 otherwise) and holds `perm` (403 otherwise)."""
    page_require(request, "handoff.view_mql")
    mql = selectors.mql_get_for_user(user=request.user, pk=pk)
    if perm:
        page_require(request, perm)
    return mql


def mql_page(
    request, mql: Mql, forms: dict | None = None, status: int = 200, conflict: str = ""
) -> HttpResponse:
    """The MQL page; `forms` are the bound forms of a refused action, by name."""
    user = request.user
    can_act = user.has_perm("handoff.change_mql") and services.mql_can_act(user=user, mql=mql)
    can_reassign = (
        user.has_perm("handoff.reassign_mql")
        and (is_admin(user) or mql.team_id in selectors.managed_team_ids(user))
        and mql.status == MqlStatus.OPEN
    )
    forms = forms or {}
    [row] = queue_rows([mql])
    panels = [p for p in hooks.mql_page_panels(user=user, mql=mql, forms=forms) if p is not None]
    context = {
        "mql": mql,
        "contact": mql.contact,
        "row": row,
        "touches": mql.touches.select_related("by").order_by("-at", "-id"),
        "assignments": mql.assignments.select_related("owner", "previous_owner", "by", "team"),
        "closed_by": mql.closed_by_change,
        "all_clocks": mql.clocks.select_related("policy").order_by("started_at", "kind"),
        "is_open": mql.status == MqlStatus.OPEN,
        "can_touch": can_act and user.has_perm("handoff.add_touch"),
        "can_reassign": can_reassign,
        "panels": panels,
        "touch_form": forms.get("touch") or TouchForm(),
        "reassign_form": (forms.get("reassign") or ReassignForm(user=user))
        if can_reassign
        else None,
        "conflict": conflict,
        "now": timezone.now(),
    }
    return page_render(request, "handoff/mql_detail.html", context, status=status)


def mql_page_action(
    request,
    pk: int,
    *,
    perm: str,
    key: str,
    form: Form,
    action: Callable[[Mql, dict], object],
    success: str,
    to_queue: bool,
) -> HttpResponse:
    """A form posted from the MQL page: validate `form`, run `action(mql, cleaned_data)`, then
    back to the queue or the page with `success` (may name {contact}). Refused: the page again,
    with `form` (as forms[key]) showing a DomainError next to its field (400), or the MQL as it
    is now and the ConflictError's message (409)."""
    mql = mql_for_page(request, pk, perm)
    if not form.is_valid():
        return mql_page(request, mql, {key: form}, status=400)
    try:
        action(mql, form.cleaned_data)
    except ConflictError as error:
        mql = selectors.mql_get_for_user(user=request.user, pk=pk)
        return mql_page(request, mql, status=409, conflict=error.message)
    except DomainError as error:
        add_domain_error(form, error)
        return mql_page(request, mql, {key: form}, status=400)
    messages.success(request, success.format(contact=mql.contact))
    return redirect("handoff:queue" if to_queue else "handoff:mql", *([] if to_queue else [pk]))

"""HTML pages of the handoff: my queue, an MQL with its actions, notifications, SLA breaches.

Views parse the request, call handoff.selectors / handoff.services (the same ones as the API)
and render. Access as in the API: an MQL or breach is read through the selectors (404 for what
is not yours or your team's), and each action needs the role's permission (403 without it).
A refused action re-renders the form with the message next to the field (400), or says that
someone else decided first (409). The MQL page itself is handoff.pages (feedback's accept /
reject post to feedback's views and come back through it).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.http import list_template, page_render, page_require
from core.roles import ADMIN, MARKETING, SALES_MANAGER, SALES_REP, is_admin, role_names
from core.spreadsheet import csv_download
from handoff import selectors, services
from handoff.forms import (
    AcknowledgeForm,
    BreachPageFilter,
    BulkReassignForm,
    QueuePageFilter,
    ReassignForm,
    TouchForm,
    WaiveForm,
)
from handoff.models import Mql, Notification
from handoff.pages import mql_for_page, mql_page, mql_page_action, queue_rows

PAGE_SIZE = 50
# Each queue row carries its clocks, reasons and recent activity: shorter pages read better.
QUEUE_PAGE_SIZE = 25


# --- the queue ----------------------------------------------------------------------------------


def _sees_teams(user) -> bool:
    return is_admin(user) or bool(selectors.managed_team_ids(user))


def home_for_user(*, user) -> str | None:
    """Where handoff's people land on `/` (the leads home_page hook): admins on the SLA
    breaches, reps on their queue. Managers and marketers get their dashboards from insights."""
    roles = role_names(user)
    if ADMIN in roles:
        return reverse("handoff:breaches")
    if SALES_REP in roles and not roles & {SALES_MANAGER, MARKETING}:
        return reverse("handoff:queue")
    return None


@require_GET
def queue(request):
    page_require(request, "handoff.view_mql")
    filterset = QueuePageFilter(
        request.GET or None,
        queryset=selectors.queue_for_user(user=request.user),
        user=request.user,
    )
    valid = not filterset.is_bound or filterset.is_valid()
    mqls = filterset.qs if valid else Mql.objects.none()
    page = Paginator(mqls, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "filters_valid": valid,
        "page": page,
        "rows": queue_rows(list(page)),
        "sees_teams": _sees_teams(request.user),
        "can_bulk_reassign": _can_bulk_reassign(request.user),
    }
    if context["can_bulk_reassign"]:
        context["bulk_form"] = BulkReassignForm(user=request.user)
    return page_render(request, list_template(request, "handoff/queue.html"), context)


def _can_bulk_reassign(user) -> bool:
    return user.has_perm("handoff.reassign_mql") and _sees_teams(user)


@require_POST
def queue_reassign(request):
    """Give the ticked MQLs of the queue to one rep (all or nothing, as the API)."""
    page_require(request, "handoff.view_mql")
    page_require(request, "handoff.reassign_mql")
    back = request.POST.get("next") or ""
    if not back.startswith("/queue/"):
        back = "/queue/"
    form = BulkReassignForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    ids = form.cleaned_data["mqls"]
    mqls = list(selectors.mqls_for_user(user=request.user).filter(pk__in=ids))
    if len(mqls) != len(set(ids)):
        messages.error(request, "Some of these MQLs are not yours to reassign; nothing was moved.")
        return redirect(back)
    try:
        moved = services.mqls_reassign(
            mqls=mqls,
            owner=form.cleaned_data["owner"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    owner = form.cleaned_data["owner"]
    messages.success(
        request, f"Gave {len(moved)} MQL{'s' if len(moved) != 1 else ''} to {owner.get_username()}."
    )
    return redirect(back)


# --- one MQL ------------------------------------------------------------------------------------


@require_GET
def mql_detail(request, pk: int):
    return mql_page(request, mql_for_page(request, pk))


@require_POST
def mql_touch(request, pk: int):
    return mql_page_action(
        request,
        pk,
        perm="handoff.add_touch",
        key="touch",
        form=TouchForm(request.POST),
        action=lambda mql, d: services.mql_touch(mql=mql, by=request.user, **d),
        success="Touch logged for {contact}.",
        to_queue=False,
    )


@require_POST
def mql_reassign(request, pk: int):
    return mql_page_action(
        request,
        pk,
        perm="handoff.reassign_mql",
        key="reassign",
        form=ReassignForm(request.POST, user=request.user),
        action=lambda mql, d: services.mqls_reassign(mqls=[mql], by=request.user, **d),
        success="Reassigned {contact}.",
        to_queue=False,
    )


# --- notifications ------------------------------------------------------------------------------


@require_GET
def notifications(request):
    items = Notification.objects.filter(user=request.user)[:100]
    return page_render(request, "handoff/notifications.html", {"items": items})


@require_POST
def notifications_read(request):
    marked = services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect("handoff:notifications")


# --- SLA breaches and compliance ----------------------------------------------------------------


def _breach_filter(request) -> tuple[BreachPageFilter, bool]:
    page_require(request, "handoff.view_breach")
    filterset = BreachPageFilter(
        request.GET or None,
        queryset=selectors.breaches_for_user(user=request.user),
        user=request.user,
    )
    return filterset, (not filterset.is_bound or filterset.is_valid())


@require_GET
def breach_list(request):
    filterset, valid = _breach_filter(request)
    breaches = filterset.qs if valid else filterset.queryset.none()
    page = Paginator(breaches, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "filters_valid": valid,
        "page": page,
        "can_acknowledge": request.user.has_perm("handoff.change_breach"),
        "sees_teams": _sees_teams(request.user),
        "ack_form": AcknowledgeForm(),
        "waived": filterset.form.cleaned_data.get("waived")
        if valid and filterset.is_bound
        else False,
        "can_waive": request.user.has_perm("handoff.change_breach")
        and (is_admin(request.user) or bool(selectors.managed_team_ids(request.user))),
    }
    return page_render(request, list_template(request, "handoff/breach_list.html"), context)


CSV_COLUMNS = [
    "breach_id",
    "mql_id",
    "contact_email",
    "contact_name",
    "kind",
    "policy",
    "team",
    "owner",
    "due_at",
    "breached_at",
    "acknowledged_by",
    "acknowledged_at",
    "acknowledgement",
    "waived_by",
    "waived_at",
    "waiver_reason",
]


@require_GET
def breach_export(request):
    filterset, valid = _breach_filter(request)
    if not valid:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    response, writer = csv_download("sla-breaches.csv")
    writer.writerow(CSV_COLUMNS)
    for b in filterset.qs.iterator(chunk_size=2000):
        writer.writerow(
            [
                b.pk,
                b.mql_id,
                b.mql.contact.email,
                b.mql.contact.full_name,
                b.kind,
                b.policy.name,
                b.breached_team.name if b.breached_team else "",
                b.breached_owner.get_username() if b.breached_owner else "",
                b.due_at.isoformat(),
                b.breached_at.isoformat(),
                b.acknowledged_by.get_username() if b.acknowledged_by else "",
                b.acknowledged_at.isoformat() if b.acknowledged_at else "",
                b.acknowledgement,
                b.waived_by.get_username() if b.waived_by else "",
                b.waived_at.isoformat() if b.waived_at else "",
                b.waiver_reason,
            ]
        )
    return response


@require_POST
def breach_acknowledge(request, pk: int):
    page_require(request, "handoff.view_breach")
    breach = selectors.breach_get_for_user(user=request.user, pk=pk)
    page_require(request, "handoff.change_breach")
    form = AcknowledgeForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/sla/breaches/"):
        back = "/sla/breaches/"
    if form.is_valid():
        try:
            services.breach_acknowledge(
                breach=breach, by=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(request, f"Breach of {breach.mql.contact} acknowledged.")
        return redirect(back)
    context = {"breach": breach, "ack_form": form}
    return page_render(request, "handoff/breach_acknowledge.html", context, status=400)


@require_POST
def breach_waive(request, pk: int):
    """The breaches page's waive form (htmx swaps the breach's row out; plain posts redirect)."""
    page_require(request, "handoff.view_breach")
    breach = selectors.breach_get_for_user(user=request.user, pk=pk)
    page_require(request, "handoff.change_breach")
    form = WaiveForm(request.POST)
    back = request.POST.get("next") or ""
    if not back.startswith("/sla/breaches/"):
        back = "/sla/breaches/"
    error = None
    if form.is_valid():
        try:
            services.breach_waive(
                breach=breach, by=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as failure:
            error = failure
    else:
        error = DomainError(form.errors["reason"][0], field="reason")
    if request.headers.get("HX-Request"):
        if error is not None:
            return HttpResponse(error.message, status=getattr(error, "status_code", 400))
        return HttpResponse(f'<tr id="breach-{breach.pk}"><td colspan="8">Waived.</td></tr>')
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Breach of {breach.mql.contact} waived.")
    return redirect(back)


GROUPS = {"week": "Week", "team": "Team", "rep": "Rep"}


@require_GET
def compliance(request):
    page_require(request, "handoff.view_breach")
    group = request.GET.get("group", "week")
    if group not in GROUPS:
        group = "week"
    since, until = selectors.default_period()
    rows = selectors.sla_compliance(user=request.user, group_by=group, since=since, until=until)
    for row in rows:
        row["percent"] = round(row["compliance"] * 100, 1)
    context = {"rows": rows, "group": group, "groups": GROUPS, "since": since, "until": until}
    return page_render(request, "handoff/compliance.html", context)

"""HTML pages of the leads domain: parse the request, call a selector or service, render."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import DomainError
from core.http import list_template, page_render
from leads import hooks
from leads.filters import contact_filterset
from leads.forms import CompanyPageFilter, ContactPageFilter, StageChangeForm
from leads.models import ActivityEvent, Company, Contact, StageChange
from leads.selectors import (
    companies_for_user,
    company_contacts,
    company_get_for_user,
    contact_get_for_user,
    contacts_for_user,
    stage_stays,
)
from leads.services import stage_change

PAGE_SIZE = 25
TIMELINE_EVENTS = 100
# Sort keys a URL may ask for (anything else falls back to the default), newest first by default.
SORTS = {
    "name": ("last_name", "first_name"),
    "email": ("email",),
    "company": ("company__name",),
    "stage": ("lifecycle_stage",),
    "created": ("created_at",),
}
DEFAULT_SORT = "-created"
COMPANY_SORTS = {
    "name": ("name",),
    "industry": ("industry",),
    "country": ("country",),
    "contacts": ("visible_contacts",),
}
COMPANY_DEFAULT_SORT = "name"
COMPANY_CONTACTS_SHOWN = 100


def home(request):
    """The contacts list, unless an app above has a better first page for this user."""
    for url in hooks.home_page(user=request.user):
        if url:
            return redirect(url)
    return redirect("contacts")


def _ordering(sort: str, sorts: dict = SORTS) -> list:
    desc = sort.startswith("-")
    fields = sorts[sort.lstrip("-")]
    ordering = [F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f in fields]
    return [*ordering, "-id" if desc else "id"]


@require_GET
def contact_list(request):
    filterset = contact_filterset(ContactPageFilter)(
        request.GET or None,
        queryset=contacts_for_user(user=request.user),
        request=request,
        user=request.user,
    )
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    valid = not filterset.is_bound or filterset.is_valid()
    contacts = filterset.qs.order_by(*_ordering(sort)) if valid else Contact.objects.none()
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = [c for c in hooks.contact_list_columns(user=request.user) if c is not None]
    shown = [contact.pk for contact in page]
    cells = [column.values(shown) for column in columns]
    for contact in page:
        contact.extra_cells = [
            (c, values.get(contact.pk)) for c, values in zip(columns, cells, strict=True)
        ]
    # Search, owner and stage sit on top; every other filter (the apps' above too) under "More".
    more = [field for field in filterset.form if field.name not in ("search", "owner", "stage")]
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "columns": columns,
        "sort": sort,
        "sort_field": sort.lstrip("-"),
        "sort_desc": sort.startswith("-"),
        "filters_valid": valid,
        "more_filters": more,
        "more_filters_open": any(request.GET.getlist(field.name) != [] for field in more),
    }
    return page_render(request, list_template(request, "leads/contact_list.html"), context)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "event" or "stage"
    item: ActivityEvent | StageChange


def _contact_page(request, contact: Contact, form: StageChangeForm | None, status: int = 200):
    history = list(
        StageChange.objects.filter(contact=contact)
        .select_related("actor_user")
        .order_by("changed_at", "id")
    )
    stays = stage_stays(contact=contact)
    events = list(contact.events.order_by("-occurred_at", "-id")[:TIMELINE_EVENTS])
    event_count = contact.events.count() if len(events) == TIMELINE_EVENTS else len(events)
    timeline = sorted(
        [TimelineItem(e.occurred_at, "event", e) for e in events]
        # newest first like the events, so two moves at the same moment show the later on top
        + [TimelineItem(c.changed_at, "stage", c) for c in reversed(history)],
        key=lambda t: t.at,
        reverse=True,
    )
    can_change_stage = request.user.has_perm("leads.change_stage")
    if form is None and can_change_stage:
        form = StageChangeForm(current_stage=contact.lifecycle_stage)
    context = {
        "contact": contact,
        "company": contact.company,
        "history": list(zip(reversed(history), reversed(stays), strict=False)),
        "current_stay": stays[-1] if stays else None,
        "timeline": timeline,
        "event_count": event_count,
        "timeline_limit": TIMELINE_EVENTS,
        "form": form,
        "can_change_stage": can_change_stage,
        "panels": [
            panel
            for panel in hooks.contact_page_panels(user=request.user, contact=contact)
            if panel is not None
        ],
    }
    return render(request, "leads/contact_detail.html", context, status=status)


@require_GET
def contact_detail(request, pk: int):
    return _contact_page(request, contact_get_for_user(user=request.user, pk=pk), None)


@require_POST
def contact_stage_change(request, pk: int):
    contact = contact_get_for_user(user=request.user, pk=pk)
    if not request.user.has_perm("leads.change_stage"):
        raise PermissionDenied
    form = StageChangeForm(request.POST, current_stage=contact.lifecycle_stage)
    if form.is_valid():
        try:
            change = stage_change(
                contact=contact,
                to_stage=form.cleaned_data["to_stage"],
                reason=form.cleaned_data["reason"],
                override=form.cleaned_data["override"],
                by=request.user,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, f"Moved to {change.get_to_stage_display()} ({change.reason})."
            )
            return redirect("contact", pk=contact.pk)
    return _contact_page(request, contact, form, status=400)


@require_GET
def company_list(request):
    filterset = CompanyPageFilter(
        request.GET or None, queryset=companies_for_user(user=request.user), request=request
    )
    sort = request.GET.get("sort", COMPANY_DEFAULT_SORT)
    if sort.lstrip("-") not in COMPANY_SORTS:
        sort = COMPANY_DEFAULT_SORT
    valid = not filterset.is_bound or filterset.is_valid()
    companies = (
        filterset.qs.order_by(*_ordering(sort, COMPANY_SORTS)) if valid else Company.objects.none()
    )
    page = Paginator(companies, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "sort": sort,
        "sort_field": sort.lstrip("-"),
        "sort_desc": sort.startswith("-"),
        "filters_valid": valid,
    }
    return page_render(request, list_template(request, "leads/company_list.html"), context)


@require_GET
def company_detail(request, pk: int):
    company = company_get_for_user(user=request.user, pk=pk)
    contacts = list(company_contacts(user=request.user, company=company)[:COMPANY_CONTACTS_SHOWN])
    context = {
        "company": company,
        "contacts": contacts,
        "contacts_limit": COMPANY_CONTACTS_SHOWN,
        "panels": [
            panel
            for panel in hooks.company_page_panels(user=request.user, company=company)
            if panel is not None
        ],
    }
    return render(request, "leads/company_detail.html", context)

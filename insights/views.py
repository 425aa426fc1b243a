"""Pages of insights' data: the campaign spend page (list, add, edit, delete) for marketers.
Deals show on the contact page (insights.panels); there is no company page to show them on."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import DomainError
from core.http import list_template, page_render, page_require
from insights import services
from insights.forms import SpendForm, SpendPageFilter
from insights.models import CampaignSpend, organisation_currency
from insights.selectors import spend_for_user, spend_get_for_user, spend_total

PAGE_SIZE = 50


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_http_methods(["GET", "POST"])
def spend_list(request):
    """The spend rows, filtered, with the add form beside them (POST adds or replaces a row)."""
    page_require(request, "insights.view_campaignspend")
    can_edit = request.user.has_perm("insights.add_campaignspend") and request.user.has_perm(
        "insights.change_campaignspend"
    )
    currency = organisation_currency()
    form = None
    status = 200
    if can_edit:
        form = SpendForm(request.POST if request.method == "POST" else None, currency=currency)
    if request.method == "POST":
        page_require(request, "insights.add_campaignspend")
        page_require(request, "insights.change_campaignspend")
        if form.is_valid():
            try:
                spend, outcome = services.spend_upsert(**form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                done = {"created": "Added", "updated": "Updated", "unchanged": "Unchanged:"}
                messages.success(request, f"{done[outcome]} {spend} ({spend.amount:,} {currency}).")
                return redirect(f"{reverse('insights:spend')}?{request.GET.urlencode()}")
        status = 400
    filterset = SpendPageFilter(request.GET or None, queryset=spend_for_user(user=request.user))
    valid = not filterset.is_bound or filterset.is_valid()
    rows = filterset.qs if valid else CampaignSpend.objects.none()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "filter_form": filterset.form,
        "filters_valid": valid,
        "page": page,
        "total": spend_total(rows),
        "currency": currency,
        "form": form,
        "can_edit": can_edit,
        "can_delete": request.user.has_perm("insights.delete_campaignspend"),
        "can_import": request.user.has_perm("insights.add_campaignspend"),
    }
    template = (
        "insights/spend_list.html"
        if request.method == "POST"
        else list_template(request, "insights/spend_list.html")
    )
    return page_render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def spend_edit(request, pk: int):
    page_require(request, "insights.change_campaignspend")
    spend = spend_get_for_user(user=request.user, pk=pk)
    currency = organisation_currency()
    initial = {
        "campaign": spend.campaign,
        "channel": spend.channel,
        "month": f"{spend.month:%Y-%m}",
        "amount": spend.amount,
    }
    form = SpendForm(request.POST or None, initial=initial, currency=currency)
    if request.method == "POST" and form.is_valid():
        try:
            spend = services.spend_update(spend=spend, data=form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Saved {spend} ({spend.amount:,} {currency}).")
            return redirect("insights:spend")
    context = {
        "spend": spend,
        "form": form,
        "currency": currency,
        "can_delete": request.user.has_perm("insights.delete_campaignspend"),
    }
    return page_render(
        request, "insights/spend_edit.html", context, status=400 if form.errors else 200
    )


@require_POST
def spend_delete(request, pk: int):
    page_require(request, "insights.delete_campaignspend")
    spend = spend_get_for_user(user=request.user, pk=pk)
    label = str(spend)
    services.spend_delete(spend=spend)
    messages.success(request, f"Deleted the spend of {label}.")
    return redirect("insights:spend")

"""Filters of the deals list and the campaign spend list (pages and API alike)."""

import django_filters
from django import forms

from core.filters import UtcDateTimeFilter
from insights.models import CampaignSpend, Deal, DealStage
from leads.models import Company, Contact
from leads.selectors import contacts_for_user


class DealFilter(django_filters.FilterSet):
    """GET /api/v1/deals/: stage, source, contact, company, created and closed date ranges."""

    stage = django_filters.MultipleChoiceFilter(choices=DealStage.choices)
    source = django_filters.CharFilter(lookup_expr="iexact")
    external_id = django_filters.CharFilter()
    contact = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.all(), help_text="Contact id (one you may see)"
    )
    company = django_filters.ModelChoiceFilter(
        queryset=Company.objects.all(), help_text="Company id"
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    closed_after = UtcDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = UtcDateTimeFilter(field_name="closed_at", lookup_expr="lt")

    class Meta:
        model = Deal
        fields = ["stage", "source", "external_id", "contact", "company"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if request is not None:
            # A contact the user may not see is "not a valid choice", like one that does not exist.
            self.filters["contact"].queryset = contacts_for_user(user=request.user)


def _month_field(label: str):
    return django_filters.DateFilter(
        field_name="month",
        lookup_expr="gte" if "from" in label else "lte",
        label=label,
        widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text="YYYY-MM (or a date in the month)",
    )


class SpendFilter(django_filters.FilterSet):
    """The campaign spend list (page and GET /api/v1/campaign-spend/)."""

    campaign = django_filters.CharFilter(lookup_expr="iexact")
    channel = django_filters.CharFilter(lookup_expr="iexact")
    month_from = _month_field("month_from")
    month_to = _month_field("month_to")

    class Meta:
        model = CampaignSpend
        fields = ["campaign", "channel"]

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        for name in ("month_from", "month_to"):
            if data.get(name):
                data[name] = data[name].replace(day=1)
        return super().filter_queryset(queryset)

import functools

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q

from core.filters import UtcDateTimeFilter
from core.people import PersonFilter
from leads import hooks
from leads.models import Company, Contact, LifecycleStage


class ContactFilter(django_filters.FilterSet):
    """Filters shared by the contacts page and GET /api/v1/contacts/: leads' own. The apps above
    add theirs through hooks.contact_filters; use contact_filterset() for the whole set."""

    stage = django_filters.MultipleChoiceFilter(
        field_name="lifecycle_stage", choices=LifecycleStage.choices, label="Stage"
    )
    owner = PersonFilter(queryset=get_user_model().objects.all())
    source = django_filters.CharFilter(lookup_expr="iexact")
    campaign = django_filters.CharFilter(lookup_expr="iexact")
    industry = django_filters.CharFilter(field_name="company__industry", lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = Contact
        fields = ["stage", "owner", "source", "campaign", "industry", "country"]

    def filter_search(self, queryset, name, value):
        terms = value.split()
        for term in terms:
            queryset = queryset.filter(
                Q(email__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(company__name__icontains=term)
            )
        return queryset


class CompanyFilter(django_filters.FilterSet):
    """Filters of the companies page: search (name, domain), industry, country."""

    search = django_filters.CharFilter(method="filter_search", label="Search")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Company
        fields = ["industry", "country"]

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(name__icontains=term) | Q(domain__icontains=term))
        return queryset


def contact_filterset(base: type[ContactFilter] = ContactFilter) -> type[ContactFilter]:
    """`base` with the filters that the apps above contribute (hooks.contact_filters) mixed in:
    the class the contacts page and API filter with."""
    return _mixed(base, hooks.contact_filters.receivers)


@functools.cache
def _mixed(base: type[ContactFilter], extensions: tuple[type, ...]) -> type[ContactFilter]:
    if not extensions:
        return base
    attrs = {"__module__": base.__module__, "__doc__": base.__doc__}
    return type(base.__name__, (*extensions, base), attrs)

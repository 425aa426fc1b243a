import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q

from leads.models import Contact, LifecycleStage


class ContactFilter(django_filters.FilterSet):
    """Filters shared by the contacts page and GET /api/v1/contacts/."""

    stage = django_filters.MultipleChoiceFilter(
        field_name="lifecycle_stage", choices=LifecycleStage.choices, label="Stage"
    )
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    source = django_filters.CharFilter(lookup_expr="iexact")
    campaign = django_filters.CharFilter(lookup_expr="iexact")
    industry = django_filters.CharFilter(field_name="company__industry", lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
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

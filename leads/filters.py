import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from leads.models import Contact, LifecycleStage
from scoring.models import ContactScore, Grade

MAX_SCORE = 10**9


class ContactFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        for name in ("score_min", "score_max"):
            if data.get(name) is not None and abs(data[name]) > MAX_SCORE:
                self.add_error(name, f"Enter a number from -{MAX_SCORE:,} to {MAX_SCORE:,}.")
                data[name] = None
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", "Must not be below score_min.")
        return data


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
    # Score filters: on the contact's current score (an active model's), all on the same score
    # row, as one EXISTS subquery (see filter_queryset).
    score_min = django_filters.NumberFilter(method="filter_score", label="Score at least")
    score_max = django_filters.NumberFilter(method="filter_score", label="Score at most")
    grade = django_filters.MultipleChoiceFilter(
        choices=Grade.choices, method="filter_score", label="Grade"
    )
    mql_eligible = django_filters.ChoiceFilter(
        choices=[("true", "Yes"), ("false", "No")], method="filter_score", label="MQL-eligible"
    )

    class Meta:
        model = Contact
        form = ContactFilterForm
        fields = ["stage", "owner", "source", "campaign", "industry", "country"]

    def filter_score(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        conditions = {}
        if data.get("score_min") is not None:
            conditions["total__gte"] = data["score_min"]
        if data.get("score_max") is not None:
            conditions["total__lte"] = data["score_max"]
        if data.get("grade"):
            conditions["grade__in"] = data["grade"]
        if data.get("mql_eligible"):
            conditions["mql_eligible"] = data["mql_eligible"] == "true"
        if not conditions:
            return queryset
        scores = ContactScore.objects.filter(
            contact=OuterRef("pk"), model__is_active=True, **conditions
        )
        return queryset.filter(Exists(scores))

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

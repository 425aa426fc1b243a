"""Score filters of the contacts list (page and API), added to leads' ContactFilter through
leads.hooks.contact_filters."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef

from scoring.models import ContactScore, Grade

MAX_SCORE = 10**9


class ContactScoreFilter(django_filters.FilterSet):
    """On the contact's current score (an active model's), all on the same score row, as one
    EXISTS subquery (see filter_queryset)."""

    score_min = django_filters.NumberFilter(method="filter_score", label="Score at least")
    score_max = django_filters.NumberFilter(method="filter_score", label="Score at most")
    grade = django_filters.MultipleChoiceFilter(
        choices=Grade.choices,
        method="filter_score",
        label="Grade",
        widget=forms.CheckboxSelectMultiple,
    )
    mql_eligible = django_filters.ChoiceFilter(
        choices=[("true", "Yes"), ("false", "No")], method="filter_score", label="MQL-eligible"
    )

    def get_form_class(self):
        form = super().get_form_class()
        return type(form.__name__, (ScoreRangeForm, form), {})

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


class ScoreRangeForm:
    """Mixed into the filter form: scores within bounds, the range the right way round."""

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

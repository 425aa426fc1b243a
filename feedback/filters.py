import django_filters
from django.contrib.auth import get_user_model
from django.db import connection

from core.filters import UtcDateTimeFilter
from core.people import PersonFilter
from feedback.models import Decision, Outcome, RejectReason
from handoff.models import Team
from scoring.models import ModelVersion, ScoringModel


class DecisionFilter(django_filters.FilterSet):
    """Filters of the feedback inbox (page and GET /api/v1/feedback/)."""

    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    reason = django_filters.ModelChoiceFilter(
        queryset=RejectReason.objects.all(), to_field_name="code"
    )
    rep = PersonFilter(field_name="by", queryset=get_user_model().objects.all(), label="Rep")
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    source = django_filters.CharFilter(lookup_expr="iexact")
    campaign = django_filters.CharFilter(lookup_expr="iexact")
    scoring_model = django_filters.ModelChoiceFilter(queryset=ScoringModel.objects.all())
    model_version = django_filters.ModelChoiceFilter(queryset=ModelVersion.objects.all())
    rule = django_filters.CharFilter(method="filter_rule", label="Rule key")
    decided_after = UtcDateTimeFilter(field_name="decided_at", lookup_expr="gte")
    decided_before = UtcDateTimeFilter(field_name="decided_at", lookup_expr="lt")

    class Meta:
        model = Decision
        fields = ["outcome", "reason", "rep", "team", "source", "campaign", "model_version"]

    def filter_rule(self, queryset, name, value):
        """Decisions on MQLs where this rule fired."""
        if connection.vendor == "postgresql":
            return queryset.filter(rule_keys__contains=[value])
        # SQLite has no JSON containment; keys are [A-Za-z0-9_-], so the quoted key is exact.
        return queryset.filter(rule_keys__icontains=f'"{value}"')

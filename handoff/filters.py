import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.filters import UtcDateTimeFilter
from core.people import PersonFilter
from handoff.models import Breach, Mql, SlaClock, SlaKind, SlaPolicy, Team
from scoring.models import Grade


class QueueFilter(django_filters.FilterSet):
    """Filters of the MQL queue (page and GET /api/v1/queue/)."""

    search = django_filters.CharFilter(method="filter_search", label="Search")
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices)
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    owner = PersonFilter(queryset=get_user_model().objects.all())
    sla = django_filters.ChoiceFilter(
        method="filter_sla",
        label="SLA",
        choices=[("on_track", "On track"), ("at_risk", "At risk"), ("breached", "Breached")],
    )

    class Meta:
        model = Mql
        fields = ["search", "grade", "team", "owner", "sla"]

    def filter_search(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(
                Q(contact__email__icontains=term)
                | Q(contact__first_name__icontains=term)
                | Q(contact__last_name__icontains=term)
                | Q(contact__company__name__icontains=term)
            )
        return queryset

    def filter_sla(self, queryset, name, value):
        now = timezone.now()
        running = SlaClock.objects.filter(mql=OuterRef("pk"), stopped_at__isnull=True)
        breached = Exists(running.filter(Q(breached_at__isnull=False) | Q(due_at__lte=now)))
        at_risk = Exists(running.filter(at_risk_at__lte=now))
        if value == "breached":
            return queryset.filter(breached)
        if value == "at_risk":
            return queryset.filter(at_risk).exclude(breached)
        return queryset.exclude(at_risk).exclude(breached)


class BreachFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(field_name="breached_team", queryset=Team.objects.all())
    owner = PersonFilter(
        field_name="breached_owner", queryset=get_user_model().objects.all(), label="Rep"
    )
    policy = django_filters.ModelChoiceFilter(queryset=SlaPolicy.objects.all())
    kind = django_filters.ChoiceFilter(choices=SlaKind.choices)
    breached_after = UtcDateTimeFilter(field_name="breached_at", lookup_expr="gte")
    breached_before = UtcDateTimeFilter(field_name="breached_at", lookup_expr="lt")
    # One scan's breaches (its time, as the summary notification links to them).
    breached_at = UtcDateTimeFilter(field_name="breached_at", label="Scan")
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True
    )
    # Waived breaches are listed apart: only with waived=true.
    waived = django_filters.BooleanFilter(method="filter_waived")

    class Meta:
        model = Breach
        fields = ["team", "owner", "policy", "kind", "acknowledged", "waived"]

    def filter_waived(self, queryset, name, value):
        return queryset  # applied in filter_queryset, also when the parameter is absent

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        waived = self.form.cleaned_data.get("waived")
        return queryset.filter(waived_at__isnull=not waived)

"""Forms of the handoff pages: actions on an MQL, breach acknowledgement, page filters.

Forms only parse input; the rules (who may act, open or not) are in handoff.services, whose
DomainError is shown next to the field it names (add_domain_error, also for feedback's accept /
reject forms on the MQL page).
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model

from core.exceptions import DomainError
from core.filters import UtcDateTimeFilter
from core.people import PersonChoiceField
from core.roles import is_admin
from handoff.filters import BreachFilter, QueueFilter
from handoff.models import MemberRole, Team, TeamMember, TouchKind
from handoff.selectors import managed_team_ids
from scoring.models import Grade


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError next to the field it names (or above the form)."""
    name = (exc.field or "").rsplit(".", 1)[-1]
    form.add_error(name if name in form.fields else None, exc.message)


class TouchForm(forms.Form):
    kind = forms.ChoiceField(choices=TouchKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def reps_for(user):
    """Active reps of the teams `user` manages (admins: of every team)."""
    members = TeamMember.objects.filter(role=MemberRole.REP, is_active=True)
    if not is_admin(user):
        members = members.filter(team__in=managed_team_ids(user))
    return (
        get_user_model()
        .objects.filter(pk__in=members.values("user_id"))
        .order_by("first_name", "last_name", "username")
    )


class ReassignForm(forms.Form):
    owner = PersonChoiceField(queryset=get_user_model().objects.none(), label="Give to")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = reps_for(user)


class BulkReassignForm(ReassignForm):
    """Several MQLs of the queue to one rep; which MQLs the user may move is the view's check."""

    mqls = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": "Tick the MQLs to reassign."}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids parse; the view loads them through the user's selector.
        self.fields["mqls"].valid_value = lambda value: str(value).isdigit()


class WaiveForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "Why it does not count"}),
        error_messages={"required": "Say why the breach is waived."},
    )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        widget=forms.TextInput(attrs={"placeholder": "What was done about it"}),
        error_messages={"required": "Say what was done about it."},
    )


def _scope_choices(filterset, user) -> None:
    """Team and rep choices limited to what the user may see (admins: everything)."""
    if is_admin(user):
        return
    teams = managed_team_ids(user)
    filterset.filters["team"].queryset = Team.objects.filter(pk__in=teams)
    filterset.filters["owner"].queryset = get_user_model().objects.filter(
        pk__in=TeamMember.objects.filter(team__in=teams).values("user_id")
    )


class QueuePageFilter(QueueFilter):
    """The API's queue filters; grades as chips, and every choice applies at once (htmx)."""

    grade = django_filters.MultipleChoiceFilter(
        choices=Grade.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "autosubmit"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_choices(self, user)
        for name in ("team", "owner"):
            self.form.fields[name].widget.attrs["class"] = "autosubmit"


class BreachPageFilter(BreachFilter):
    """The API's breach filters, with plain dates (inclusive) for the page's date inputs."""

    breached_after = django_filters.DateFilter(
        field_name="breached_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    breached_before = django_filters.DateFilter(
        field_name="breached_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    breached_at = UtcDateTimeFilter(
        field_name="breached_at", label="Scan", widget=forms.HiddenInput
    )
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at",
        lookup_expr="isnull",
        exclude=True,
        label="Acknowledged",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    waived = django_filters.BooleanFilter(method="filter_waived", widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_choices(self, user)

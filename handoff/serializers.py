from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.functional import cached_property
from rest_framework import serializers

from core.exceptions import DomainError
from handoff.business_time import BusinessCalendar, CalendarError
from handoff.models import (
    SLA_KINDS_WITH_TARGETS,
    Breach,
    ClockChange,
    Mql,
    OutOfOffice,
    RoutingRule,
    SlaClock,
    SlaPolicy,
    Team,
    TeamMember,
    TouchKind,
    WorkCalendar,
    default_hours,
)
from handoff.selectors import clock_state
from handoff.services import routing_conditions_clean


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ClockSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "kind",
            "started_at",
            "at_risk_at",
            "due_at",
            "breached_at",
            "state",
            "seconds_left",
        ]

    def get_state(self, clock) -> str:
        return clock_state(clock, self.context.get("now"))

    def get_seconds_left(self, clock) -> int:
        now = self.context.get("now") or timezone.now()
        return int((clock.due_at - now).total_seconds())


class MqlSerializer(serializers.ModelSerializer):
    """An MQL as the queue shows it: who, how good, why, what they did lately, the SLA clocks."""

    contact = serializers.SerializerMethodField()
    owner = UserRefSerializer(allow_null=True)
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    why = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    recent_activity = serializers.SerializerMethodField()
    closed = serializers.SerializerMethodField()

    class Meta:
        model = Mql
        fields = [
            "id",
            "status",
            "contact",
            "owner",
            "team",
            "qualified_at",
            "assigned_at",
            "first_touch_at",
            "decided_at",
            "grade",
            "fit",
            "engagement",
            "total",
            "model_version",
            "why",
            "clocks",
            "recent_activity",
            "closed",
        ]

    def get_contact(self, mql) -> dict:
        c = mql.contact
        return {
            "id": c.pk,
            "name": c.full_name,
            "email": c.email,
            "job_title": c.job_title,
            "company": c.company.name if c.company else "",
        }

    def get_why(self, mql) -> list[dict]:
        return [{"rule": item["rule"], "points": item["points"]} for item in mql.breakdown]

    @cached_property
    def _clocks(self) -> serializers.ListSerializer:
        """One clock serializer for every row (building its fields costs more than using them)."""
        return ClockSerializer(many=True, context=self.context)

    def get_clocks(self, mql) -> list[dict]:
        clocks = self.context.get("clocks", {}).get(mql.pk)
        if clocks is None:
            clocks = list(mql.clocks.filter(stopped_at__isnull=True).order_by("due_at"))
        return self._clocks.to_representation(clocks)

    def get_closed(self, mql) -> dict | None:
        """Closed outside the queue: the stage change that did it (who, why, where to)."""
        change = mql.closed_by_change if mql.closed_by_change_id else None
        if change is None:
            return None
        return {
            "to_stage": change.to_stage,
            "by": change.actor_user.get_username() if change.actor_user_id else None,
            "system": change.actor_system,
            "reason": change.reason,
            "at": change.changed_at,
        }

    def get_recent_activity(self, mql) -> list[dict]:
        events = self.context.get("events", {}).get(mql.contact_id, [])
        return [
            {
                "event_type": e.event_type,
                "occurred_at": e.occurred_at,
                "url": (e.properties or {}).get("url", ""),
            }
            for e in events
        ]


class ClockChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClockChange
        fields = ["kind", "old_due_at", "new_due_at", "reason", "at"]


class MqlDetailSerializer(MqlSerializer):
    """One MQL: as in the queue, plus the team its routing chose and its clocks' re-timings."""

    routed_team = serializers.CharField(source="routed_team.name", allow_null=True, default=None)
    clock_changes = ClockChangeSerializer(many=True, read_only=True)

    class Meta(MqlSerializer.Meta):
        fields = [*MqlSerializer.Meta.fields, "routed_team", "clock_changes"]


class TouchInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TouchKind.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class ReassignInputSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class BulkReassignInputSerializer(ReassignInputSerializer):
    mqls = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=500
    )


class TouchOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    note = serializers.CharField()
    at = serializers.DateTimeField()


class BreachSerializer(serializers.ModelSerializer):
    contact = serializers.CharField(source="mql.contact.email")
    owner = UserRefSerializer(source="breached_owner", allow_null=True)
    team = serializers.CharField(source="breached_team.name", allow_null=True, default=None)
    policy = serializers.CharField(source="policy.name")
    acknowledged_by = UserRefSerializer(allow_null=True)
    waived_by = UserRefSerializer(allow_null=True)

    class Meta:
        model = Breach
        fields = [
            "id",
            "mql",
            "contact",
            "kind",
            "policy",
            "team",
            "owner",
            "due_at",
            "breached_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement",
            "waived_by",
            "waived_at",
            "waiver_reason",
        ]


class AcknowledgeInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class WaiveInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class ComplianceRowSerializer(serializers.Serializer):
    group = serializers.CharField()
    clocks = serializers.IntegerField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    compliance = serializers.FloatField()


# --- configuration ------------------------------------------------------------------------------


class TeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "team", "user", "role", "weight", "max_open_mqls", "is_active"]


class TeamSerializer(serializers.ModelSerializer):
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "calendar", "is_fallback", "members"]

    def validate_is_fallback(self, value):
        others = Team.objects.filter(is_fallback=True)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if value and others.exists():
            raise serializers.ValidationError("Another team is the fallback team already.")
        return value


class RoutingRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoutingRule
        fields = ["id", "name", "position", "is_active", "conditions", "scoring_model", "team"]

    def validate_conditions(self, value):
        try:
            return routing_conditions_clean(value)
        except DomainError as error:
            raise serializers.ValidationError(f"{error.field}: {error.message}") from None


class SlaPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "team",
            "scoring_model",
            "delivery_amount",
            "delivery_unit",
            "first_touch_amount",
            "first_touch_unit",
            "decision_amount",
            "decision_unit",
            "at_risk_share",
        ]
        extra_kwargs = {"at_risk_share": {"min_value": 0.01, "max_value": 0.99}}
        validators = []  # validate() names the field instead of non_field_errors

    def validate(self, data):
        team = data.get("team", getattr(self.instance, "team", None))
        model = data.get("scoring_model", getattr(self.instance, "scoring_model", None))
        same = SlaPolicy.objects.filter(team=team, scoring_model=model)
        if self.instance is not None:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise serializers.ValidationError(
                {"team": ["A policy for this team and scoring model exists already."]}
            )
        values = {
            name: data.get(name, getattr(self.instance, name, None))
            for kind in SLA_KINDS_WITH_TARGETS
            for name in (f"{kind}_amount", f"{kind}_unit")
        }
        policy = SlaPolicy(**{name: v for name, v in values.items() if v is not None})
        errors = {
            f"{kind}_amount": [policy.target_error(kind)]
            for kind in SLA_KINDS_WITH_TARGETS
            if policy.target_error(kind)
        }
        if errors:
            raise serializers.ValidationError(errors)
        return data


class WorkCalendarSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkCalendar
        fields = ["id", "name", "time_zone", "hours", "country", "subdivision", "closed_dates"]

    def validate_closed_dates(self, value):
        if not isinstance(value, list) or len(value) > 1000:
            raise serializers.ValidationError("Give a list of up to 1000 dates (YYYY-MM-DD).")
        try:
            return sorted({date.fromisoformat(str(d)).isoformat() for d in value})
        except ValueError:
            raise serializers.ValidationError("Give dates as YYYY-MM-DD.") from None

    def validate_hours(self, value):
        if not isinstance(value, dict) or not all(str(k).isdigit() for k in value):
            raise serializers.ValidationError(
                'Give hours by weekday (0 = Monday), e.g. {"0": [[540, 1020]]}.'
            )
        return value

    def validate(self, data):
        defaults = {"time_zone": "UTC", "hours": default_hours(), "country": "", "subdivision": ""}
        merged = {
            name: data.get(name, getattr(self.instance, name, default))
            for name, default in defaults.items()
        }
        try:
            BusinessCalendar(
                time_zone=merged["time_zone"],
                hours={int(k): tuple(map(tuple, v)) for k, v in merged["hours"].items()},
                country=merged["country"],
                subdivision=merged["subdivision"],
            )
        except CalendarError as error:
            raise serializers.ValidationError({error.field: [str(error)]}) from None
        except (TypeError, ValueError):
            raise serializers.ValidationError(
                {"hours": ["Give each day's hours as [open, close] pairs of minutes."]}
            ) from None
        return data


class OutOfOfficeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutOfOffice
        fields = ["id", "user", "starts_on", "ends_on", "note"]
        read_only_fields = ["user"]

    def validate(self, data):
        starts = data.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = data.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError({"ends_on": ["Ends before it starts."]})
        return data

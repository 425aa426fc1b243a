"""DRF serializers of the leads API: they validate input and shape output, nothing more.

Writes go through leads.services (contacts, stages) and leads.imports.events_ingest (events).
"""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ModelSerializer
from leads.imports.events_ingest import MAX_BATCH
from leads.models import ActivityEvent, Company, Contact, EventType, LifecycleStage

CONTACT_WRITABLE = (
    "first_name",
    "last_name",
    "job_title",
    "seniority",
    "department",
    "phone",
    "country",
    "source",
    "campaign",
    "owner",
    "attributes",
)


class CompanySerializer(serializers.ModelSerializer):
    """A contact's company; on input it is matched by domain (case-insensitive)."""

    class Meta:
        model = Company
        fields = [
            "id",
            "domain",
            "name",
            "industry",
            "employee_count",
            "annual_revenue",
            "country",
            "tags",
        ]
        read_only_fields = ["id"]
        # The domain is the key: matching it is company_upsert's job, not a unique validator's.
        validators: list = []
        extra_kwargs = {"domain": {"required": True, "allow_blank": False, "validators": []}}

    def validate_domain(self, value: str) -> str:
        value = value.strip().lower()
        if not value:
            raise serializers.ValidationError("A company is matched by its domain; give one.")
        return value

    def validate_tags(self, value):
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise serializers.ValidationError("Expected a list of strings.")
        return value


class StageChangeSerializer(serializers.Serializer):
    """One row of a contact's stage history: from, to, when, actor, reason, override."""

    def get_fields(self):
        # "from" is a Python keyword, so the fields are declared here rather than as attributes.
        return {
            "id": serializers.IntegerField(read_only=True),
            "from": serializers.CharField(
                source="from_stage", read_only=True, help_text="Empty for the first row"
            ),
            "to": serializers.ChoiceField(
                source="to_stage", choices=LifecycleStage.choices, read_only=True
            ),
            "when": serializers.DateTimeField(source="changed_at", read_only=True),
            "actor": serializers.CharField(
                source="actor_label",
                read_only=True,
                help_text="A username, or a system component such as scoring",
            ),
            "reason": serializers.CharField(read_only=True),
            "override": serializers.BooleanField(read_only=True),
        }


class StageStaySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    entered_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    seconds = serializers.SerializerMethodField()

    def get_seconds(self, stay) -> int:
        return int(stay.duration.total_seconds())


class ContactSerializer(ModelSerializer):
    """A contact as listed; lifecycle_stage is read-only (POST .../stage/ changes it)."""

    company = CompanySerializer(read_only=True, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "job_title",
            "seniority",
            "department",
            "phone",
            "country",
            "source",
            "campaign",
            "company",
            "owner",
            "lifecycle_stage",
            "stage_entered_at",
            "attributes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactDetailSerializer(ContactSerializer):
    """One contact with its stage history and the time it spent in each stage."""

    stage_history = serializers.SerializerMethodField()
    stage_stays = serializers.SerializerMethodField()

    class Meta(ContactSerializer.Meta):
        fields = [*ContactSerializer.Meta.fields, "stage_history", "stage_stays"]
        read_only_fields = fields

    @extend_schema_field(StageChangeSerializer(many=True))
    def get_stage_history(self, contact):
        return StageChangeSerializer(self.context["stage_history"], many=True).data

    @extend_schema_field(StageStaySerializer(many=True))
    def get_stage_stays(self, contact):
        return StageStaySerializer(self.context["stage_stays"], many=True).data


class ContactWriteSerializer(serializers.ModelSerializer):
    """Input of POST (create or update by email) and PATCH (email and stage not writable)."""

    company = CompanySerializer(required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = Contact
        fields = ["email", *CONTACT_WRITABLE, "company"]
        # Uniqueness of the email is what the upsert is about, so no unique validator here.
        extra_kwargs = {"email": {"validators": []}}

    def validate_email(self, value: str) -> str:
        return value.strip().lower()

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if value and (len(value) != 2 or not value.isalpha()):
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 code, e.g. DE.")
        return value

    def validate_attributes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        return value


class ContactPatchSerializer(ContactWriteSerializer):
    class Meta(ContactWriteSerializer.Meta):
        fields = [*CONTACT_WRITABLE, "company"]


class StageChangeInputSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=LifecycleStage.choices)
    reason = serializers.CharField(max_length=2000)
    override = serializers.BooleanField(
        default=False, help_text="Needed (with a reason) to move forward past skipped stages"
    )


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityEvent
        fields = [
            "id",
            "contact",
            "event_type",
            "properties",
            "occurred_at",
            "source",
            "external_id",
            "received_at",
        ]
        read_only_fields = fields


class EventInputSerializer(serializers.Serializer):
    """One event as sent to POST /api/v1/events/ (validated by leads.imports.validation, set-based)."""

    contact = serializers.IntegerField(required=False, help_text="Contact id; or give email")
    email = serializers.EmailField(
        required=False, help_text="Contact email; an unknown email creates a contact (stage lead)"
    )
    event_type = serializers.ChoiceField(choices=EventType.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO 8601; at most 5 minutes ahead")
    properties = serializers.DictField(required=False, help_text="A JSON object, e.g. url")
    source = serializers.CharField(required=False, max_length=100, allow_blank=True)
    external_id = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="Unique per source: an event re-sent with the same pair is a duplicate",
    )


class EventOutcomeSerializer(serializers.Serializer):
    """One item's outcome in the response of POST /api/v1/events/, in request order."""

    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    event = EventSerializer(required=False, help_text="The stored event (created or duplicate)")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field name → messages (rejected)",
    )


EVENT_BATCH_HELP = f"One event object, or a list of up to {MAX_BATCH:,} events."

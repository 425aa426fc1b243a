"""DRF serializers of the scoring API: they shape output and document input, nothing more.

Input is validated by scoring.services / scoring.spec, whose errors name the field, nested ones
included (e.g. `engagement_rules[2].window_days`); these serializers describe the input for the
OpenAPI schema.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.models import EventType
from scoring.catalogue import Operator
from scoring.describe import describe_definition, describe_rule
from scoring.models import EngagementMode, Grade

VALUE_HELP = (
    "Text, number, list (in, not_in, email_domain_in) or [from, to] (between); "
    "none for is_empty / is_not_empty"
)


def _describe(kind: str, rule, lookback_days=None) -> str:
    """The sentence for a draft rule row (FitRule, EngagementRule or Disqualifier)."""
    data = {f.name: getattr(rule, f.name) for f in rule._meta.concrete_fields}
    try:
        return describe_rule(kind, data, lookback_days=lookback_days)
    except (KeyError, TypeError, ValueError):  # pragma: no cover - rows are validated on save
        return ""


class ConditionSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="e.g. job_title, company.employee_count, attributes.plan"
    )
    operator = serializers.ChoiceField(choices=Operator.choices)
    value = serializers.JSONField(required=False, allow_null=True, help_text=VALUE_HELP)


class RuleBase(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(
        required=False,
        max_length=16,
        help_text="Stable identity of the rule across versions; give it back to keep it, "
        "leave it out for a new rule",
    )
    position = serializers.IntegerField(read_only=True)
    description = serializers.SerializerMethodField()

    kind = ""

    def get_description(self, rule) -> str:
        lookback = self.context.get("lookback_days")
        return _describe(self.kind, rule, lookback)


class FitRuleSerializer(RuleBase, ConditionSerializer):
    kind = "fit_rules"
    points = serializers.IntegerField(help_text="Negative allowed, not 0")


class EngagementRuleSerializer(RuleBase):
    kind = "engagement_rules"
    event_type = serializers.ChoiceField(choices=EventType.choices)
    property_name = serializers.CharField(
        required=False, allow_blank=True, help_text="Optional condition on an event property"
    )
    property_operator = serializers.CharField(required=False, allow_blank=True)
    property_value = serializers.JSONField(required=False, allow_null=True)
    mode = serializers.ChoiceField(choices=EngagementMode.choices)
    points = serializers.IntegerField(min_value=1)
    cap = serializers.IntegerField(required=False, allow_null=True, help_text="per_occurrence")
    min_count = serializers.IntegerField(
        required=False, allow_null=True, help_text="N, for once_at_count"
    )
    window_days = serializers.IntegerField(
        required=False, allow_null=True, help_text="Default: the model's lookback"
    )
    half_life_days = serializers.FloatField(
        required=False, allow_null=True, help_text="Decay (per_occurrence only)"
    )


class DisqualifierSerializer(RuleBase, ConditionSerializer):
    kind = "disqualifiers"
    label = serializers.CharField(max_length=100, help_text="Shown to users, e.g. Competitor")


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    note = serializers.CharField()
    published_by = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()

    def get_published_by(self, version) -> str:
        return version.published_by.get_username() if version.published_by else ""


class DescribedRuleSerializer(serializers.Serializer):
    key = serializers.CharField()
    description = serializers.CharField()


class DescribedRulesSerializer(serializers.Serializer):
    fit_rules = DescribedRuleSerializer(many=True)
    engagement_rules = DescribedRuleSerializer(many=True)
    disqualifiers = DescribedRuleSerializer(many=True)


class VersionDetailSerializer(VersionSummarySerializer):
    definition = serializers.JSONField(
        help_text="The frozen model: settings, segment and rule lists, as published"
    )
    described = serializers.SerializerMethodField()

    @extend_schema_field(DescribedRulesSerializer)
    def get_described(self, version) -> dict:
        return describe_definition(version.definition)


SETTINGS_HELP = {
    "lookback_days": "Events older than this count for nothing",
    "fit_min": "MQL when fit ≥ fit_min and engagement ≥ engagement_min …",
    "engagement_min": "… (see fit_min)",
    "total_min": "… or, if set, when the total ≥ total_min",
    "grade_a_min": "Fit ≥ this → grade A (then B, C; below → D)",
}


class ScoringModelWriteSerializer(serializers.Serializer):
    """Input of POST, PUT and PATCH. PATCH replaces only the rule lists it sends; PUT replaces
    all three (a missing list means none)."""

    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(
        required=False, help_text="Higher wins when segments overlap"
    )
    segment = ConditionSerializer(
        many=True, required=False, help_text="All must hold; empty = every contact"
    )
    lookback_days = serializers.IntegerField(help_text=SETTINGS_HELP["lookback_days"])
    fit_min = serializers.IntegerField(help_text=SETTINGS_HELP["fit_min"])
    engagement_min = serializers.IntegerField(help_text=SETTINGS_HELP["engagement_min"])
    total_min = serializers.IntegerField(
        required=False, allow_null=True, help_text=SETTINGS_HELP["total_min"]
    )
    grade_a_min = serializers.IntegerField(help_text=SETTINGS_HELP["grade_a_min"])
    grade_b_min = serializers.IntegerField()
    grade_c_min = serializers.IntegerField()
    fit_rules = FitRuleSerializer(many=True, required=False)
    engagement_rules = EngagementRuleSerializer(many=True, required=False)
    disqualifiers = DisqualifierSerializer(many=True, required=False)


class ScoringModelSerializer(ScoringModelWriteSerializer):
    """A scoring model: its draft (settings, segment, rules) and its latest published version."""

    id = serializers.IntegerField(read_only=True)
    fit_rules = serializers.SerializerMethodField()
    engagement_rules = serializers.SerializerMethodField()
    disqualifiers = serializers.SerializerMethodField()
    published = serializers.SerializerMethodField(
        help_text="The latest published version (null when never published)"
    )
    draft_changed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def _rules(self, model, serializer_class, related: str):
        context = {**self.context, "lookback_days": model.lookback_days}
        return serializer_class(getattr(model, related).all(), many=True, context=context).data

    @extend_schema_field(FitRuleSerializer(many=True))
    def get_fit_rules(self, model):
        return self._rules(model, FitRuleSerializer, "fitrules")

    @extend_schema_field(EngagementRuleSerializer(many=True))
    def get_engagement_rules(self, model):
        return self._rules(model, EngagementRuleSerializer, "engagementrules")

    @extend_schema_field(DisqualifierSerializer(many=True))
    def get_disqualifiers(self, model):
        return self._rules(model, DisqualifierSerializer, "disqualifiers")

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_published(self, model):
        versions = getattr(model, "newest_versions", None)
        if versions is None:
            versions = list(model.versions.order_by("-number").select_related("published_by")[:1])
        return VersionSummarySerializer(versions[0]).data if versions else None


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="What changed and why"
    )


class RollbackSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The number of the version whose rules to publish again"
    )


class PreviewInputSerializer(serializers.Serializer):
    examples = serializers.IntegerField(
        required=False, min_value=0, max_value=50, default=5, help_text="Examples of each kind"
    )


class VersionDiffQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword, so the fields are declared in get_fields.
    def get_fields(self):
        return {
            "from": serializers.IntegerField(min_value=1, help_text="Version number"),
            "to": serializers.IntegerField(min_value=1, help_text="Version number"),
        }


class RuleChangesSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.DictField())
    removed = serializers.ListField(child=serializers.DictField())
    changed = serializers.ListField(
        child=serializers.DictField(), help_text="[{from: rule, to: rule}] matched by key"
    )


class VersionDiffSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "from": serializers.IntegerField(),
            "to": serializers.IntegerField(),
            "settings": serializers.DictField(
                help_text="Changed settings: name → {from, to} (segment included)"
            ),
            "fit_rules": RuleChangesSerializer(),
            "engagement_rules": RuleChangesSerializer(),
            "disqualifiers": RuleChangesSerializer(),
        }


class SegmentDeltaSerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=[("membership", "Segment membership"), ("stage", "Lifecycle stage")]
    )
    key = serializers.CharField(
        help_text="both / draft_only / published_only, or a lifecycle stage"
    )
    label = serializers.CharField()
    contacts = serializers.IntegerField()
    draft_eligible = serializers.IntegerField()
    published_eligible = serializers.IntegerField()
    gained = serializers.IntegerField()
    lost = serializers.IntegerField()


class PreviewExampleSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    email = serializers.CharField()
    name = serializers.CharField()
    company = serializers.CharField()
    lifecycle_stage = serializers.CharField()
    draft_total = serializers.FloatField(allow_null=True, help_text="null: not in the segment")
    published_total = serializers.FloatField(allow_null=True, help_text="null: not scored")


class DraftPreviewSerializer(serializers.Serializer):
    scored = serializers.IntegerField(help_text="Contacts the draft would score")
    published_scored = serializers.IntegerField()
    draft_eligible = serializers.IntegerField()
    published_eligible = serializers.IntegerField(help_text="0 when nothing is published")
    gained = serializers.IntegerField()
    lost = serializers.IntegerField()
    published_version = serializers.IntegerField(allow_null=True)
    computed_at = serializers.DateTimeField()
    by_segment = SegmentDeltaSerializer(many=True)
    gained_examples = PreviewExampleSerializer(many=True)
    lost_examples = PreviewExampleSerializer(many=True)


class ExplainedRuleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("fit", "fit"), ("engagement", "engagement"), ("disqualifier", "disqualifier")]
    )
    key = serializers.CharField()
    description = serializers.CharField()
    points = serializers.FloatField()


class ModelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ContactScoreSerializer(serializers.Serializer):
    """A contact's current score; every score field is null (and rules empty) when unscored."""

    contact_id = serializers.IntegerField()
    scored = serializers.BooleanField()
    model = ModelRefSerializer(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    fit = serializers.FloatField(allow_null=True)
    engagement = serializers.FloatField(allow_null=True)
    total = serializers.FloatField(allow_null=True)
    grade = serializers.ChoiceField(choices=Grade.choices, allow_null=True)
    mql_eligible = serializers.BooleanField(allow_null=True)
    blocked_by = serializers.CharField(allow_null=True, help_text="The disqualifier's label")
    scored_at = serializers.DateTimeField(allow_null=True)
    rules = ExplainedRuleSerializer(many=True, help_text="Fired rules and their points")

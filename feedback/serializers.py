"""Serializers of the feedback API: sales' decisions for marketing, the accept / reject input
and output, and the reject reasons."""

from rest_framework import serializers

from feedback.models import Decision, Disposition, RejectReason


class DecisionSerializer(serializers.ModelSerializer):
    contact = serializers.SerializerMethodField()
    rep = serializers.CharField(source="by.username")
    reason = serializers.CharField(source="reason.code", allow_null=True, default=None)
    reason_label = serializers.CharField(source="reason.label", allow_null=True, default=None)
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    model_version = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "mql",
            "contact",
            "outcome",
            "reason",
            "reason_label",
            "comment",
            "disposition",
            "rep",
            "team",
            "decided_at",
            "time_to_decision",
            "source",
            "campaign",
            "model_version",
            "rule_keys",
            "snapshot",
        ]

    def get_contact(self, decision) -> dict:
        c = decision.mql.contact
        return {"id": c.pk, "email": c.email, "name": c.full_name}

    def get_model_version(self, decision) -> str | None:
        v = decision.model_version
        return f"{v.model.name} v{v.number}" if v else None


class ReasonCountsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField())


# --- sales' decision on an MQL ------------------------------------------------------------------


class AcceptInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.SlugRelatedField(
        slug_field="code", queryset=RejectReason.objects.filter(is_active=True)
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    disposition = serializers.ChoiceField(choices=Disposition.choices)


class DecisionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    reason = serializers.CharField(source="reason.code", allow_null=True, default=None)
    disposition = serializers.CharField()
    decided_at = serializers.DateTimeField()


# --- configuration ------------------------------------------------------------------------------


class RejectReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectReason
        fields = ["id", "code", "label", "is_active", "position"]

"""GET /api/v1/feedback/: sales' decisions for marketing, with the same filters as the inbox."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from feedback.filters import DecisionFilter
from feedback.models import Decision
from feedback.selectors import decisions_for_user, reason_counts


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


class FeedbackApi(generics.ListAPIView):
    """The latest decisions, newest first."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    queryset = Decision.objects.none()

    def get_queryset(self):
        return decisions_for_user(user=self.request.user)


class ReasonCountsSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.DictField())


@extend_schema(summary="Counts of decisions per reject reason (same filters as the list)")
class FeedbackSummaryApi(generics.GenericAPIView):
    serializer_class = ReasonCountsSerializer
    filterset_class = DecisionFilter
    queryset = Decision.objects.none()
    pagination_class = None

    def get_queryset(self):
        return decisions_for_user(user=self.request.user)

    def get(self, request):
        return Response(reason_counts(self.filter_queryset(self.get_queryset())))

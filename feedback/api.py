"""REST API of the feedback (/api/v1/): sales' decision on an MQL (accept / reject), the
decisions for marketing with the same filters as the inbox, and the reject reasons.

Access: the MQL is read through handoff's selectors (404 for what is not yours or your team's),
and deciding needs handoff.change_mql (403 without it); reading decisions needs
feedback.view_decision.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from core.api import ERRORS
from feedback import services
from feedback.filters import DecisionFilter
from feedback.models import Decision, RejectReason
from feedback.selectors import decisions_for_user, reason_counts
from feedback.serializers import (
    AcceptInputSerializer,
    DecisionOutSerializer,
    DecisionSerializer,
    ReasonCountsSerializer,
    RejectInputSerializer,
    RejectReasonSerializer,
)
from handoff.api import ConfigViewSet, MqlActionApi

# --- sales' decision on an MQL ------------------------------------------------------------------


@extend_schema(
    summary="Accept an MQL: the contact becomes an SQL",
    responses={200: DecisionOutSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class MqlAcceptApi(MqlActionApi):
    serializer_class = AcceptInputSerializer

    def post(self, request, pk: int):
        mql = self.mql(request, pk)
        serializer = AcceptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = serializer.validated_data["note"]
        decision = services.mql_accept(mql=mql, by=request.user, note=note)
        return Response(DecisionOutSerializer(decision).data)


@extend_schema(
    summary="Reject an MQL with a reason, back to nurture or disqualified",
    responses={200: DecisionOutSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS},
)
class MqlRejectApi(MqlActionApi):
    serializer_class = RejectInputSerializer

    def post(self, request, pk: int):
        mql = self.mql(request, pk)
        serializer = RejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.mql_reject(mql=mql, by=request.user, **serializer.validated_data)
        return Response(DecisionOutSerializer(decision).data)


# --- the decisions, for marketing ---------------------------------------------------------------


class FeedbackApi(generics.ListAPIView):
    """The latest decisions, newest first."""

    serializer_class = DecisionSerializer
    filterset_class = DecisionFilter
    queryset = Decision.objects.none()

    def get_queryset(self):
        return decisions_for_user(user=self.request.user)


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


# --- configuration ------------------------------------------------------------------------------


class RejectReasonViewSet(ConfigViewSet):
    queryset = RejectReason.objects.all()
    serializer_class = RejectReasonSerializer

"""REST API of insights' data (/api/v1/): deals and campaign spend. Parse, check access, call a
service or selector, respond.

Access: a deal is read through deals_for_user (the deals of the contacts you may see; 404 for
others); writing deals needs insights.add_deal / change_deal (marketers, admins: 403 without).
Campaign spend is read with insights.view_campaignspend and written with add / change / delete
(marketers, admins).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api import ERRORS, api_require
from core.parsers import JSONObjectParser
from insights import services
from insights.filters import DealFilter, SpendFilter
from insights.models import CampaignSpend, Deal
from insights.selectors import (
    deal_get_for_user,
    deals_for_user,
    spend_for_user,
    spend_get_for_user,
)
from insights.serializers import (
    DealInputSerializer,
    DealPatchSerializer,
    DealSerializer,
    SpendInputSerializer,
    SpendSerializer,
)
from leads.models import Company
from leads.selectors import contacts_for_user

DEAL_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Deal id")
SPEND_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Campaign spend id"
)


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _deal_data(user, data: dict) -> dict:
    """The validated input as deal_upsert's `data`: the contact (one the user may see) and the
    company as rows; 400 naming the field otherwise."""
    data = {k: v for k, v in data.items() if k not in ("source", "external_id")}
    contact_id, email = data.pop("contact", None), data.pop("contact_email", None)
    if contact_id is not None or email is not None:
        visible = contacts_for_user(user=user)
        if contact_id is not None:
            data["contact"] = visible.filter(pk=contact_id).first()
            if data["contact"] is None:
                raise ValidationError({"contact": ["No such contact."]})
        else:
            data["contact"] = visible.filter(email__iexact=email).first()
            if data["contact"] is None:
                raise ValidationError({"contact_email": ["No contact with this email."]})
    if data.get("company") is not None:
        data["company"] = Company.objects.filter(pk=data["company"]).first()
        if data["company"] is None:
            raise ValidationError({"company": ["No such company."]})
    return data


@extend_schema_view(
    get=extend_schema(
        summary="List the deals of the contacts you may see (paginated, filtered)",
        responses={200: DealSerializer(many=True), 400: ERRORS},
    ),
    post=extend_schema(
        summary="Create a deal, or update it by source and external_id",
        description="201 when created, 200 when a deal with this source and external_id "
        "existed (updated, or unchanged when the payload is the same). Without external_id a "
        "deal is always created. The contact is named by `contact` (id) or `contact_email`. "
        "The amount is in the organisation's currency; a won or lost deal without closed_at "
        "closes now. A new deal that is not lost moves its contact to opportunity, a won deal "
        "to customer (forward only).",
        request=DealInputSerializer,
        responses={201: DealSerializer, 200: DealSerializer, 400: ERRORS, 403: ERRORS},
    ),
)
class DealListCreateApi(generics.ListCreateAPIView):
    parser_classes = [JSONObjectParser]
    filterset_class = DealFilter
    queryset = Deal.objects.none()  # the real one is per user, see get_queryset

    def get_queryset(self):
        return deals_for_user(user=self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return DealInputSerializer if self.request.method == "POST" else DealSerializer

    def create(self, request, *args, **kwargs):
        api_require(request.user, "insights.add_deal")
        raw = _valid(DealInputSerializer, request.data)
        if "contact" not in raw and "contact_email" not in raw:
            raise ValidationError(
                {"contact": ["Name the deal's contact: contact or contact_email."]}
            )
        source, external_id = raw.get("source", ""), raw.get("external_id", "")
        if external_id:
            api_require(request.user, "insights.change_deal")
        written = services.deal_upsert(
            data=_deal_data(request.user, raw), source=source, external_id=external_id
        )
        return Response(
            DealSerializer(written.deal).data,
            status=status.HTTP_201_CREATED if written.created else status.HTTP_200_OK,
        )


@extend_schema_view(
    get=extend_schema(summary="One deal", parameters=[DEAL_ID]),
    patch=extend_schema(
        summary="Change a deal's fields (the same rules and stage moves as a create)",
        parameters=[DEAL_ID],
        request=DealPatchSerializer,
        responses={200: DealSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
    ),
)
class DealDetailApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = DealSerializer
    queryset = Deal.objects.none()
    http_method_names = ["get", "patch", "head", "options"]

    def get(self, request, pk: int):
        return Response(DealSerializer(deal_get_for_user(user=request.user, pk=pk)).data)

    def patch(self, request, pk: int):
        deal = deal_get_for_user(user=request.user, pk=pk)
        api_require(request.user, "insights.change_deal")
        read_only = {"source", "external_id"} & set(request.data)
        if read_only:
            raise ValidationError(
                {name: ["Identifies the deal and cannot be changed."] for name in read_only}
            )
        raw = _valid(DealPatchSerializer, request.data, partial=True)
        services.deal_update(deal=deal, data=_deal_data(request.user, raw))
        return Response(DealSerializer(deal_get_for_user(user=request.user, pk=pk)).data)


# --- campaign spend -----------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        summary="Campaign spend by month, campaign and channel (paginated, filtered)",
        responses={200: SpendSerializer(many=True), 400: ERRORS, 403: ERRORS},
    ),
    post=extend_schema(
        summary="Set a campaign's spend on a channel for a month (create or update)",
        description="One row per campaign, channel and month (YYYY-MM, or a date in the month, "
        "stored as the first day): 201 when created, 200 when that row existed (its amount "
        "is replaced).",
        request=SpendInputSerializer,
        responses={201: SpendSerializer, 200: SpendSerializer, 400: ERRORS, 403: ERRORS},
    ),
)
class SpendListCreateApi(generics.ListCreateAPIView):
    parser_classes = [JSONObjectParser]
    filterset_class = SpendFilter
    queryset = CampaignSpend.objects.none()

    def get_queryset(self):
        api_require(self.request.user, "insights.view_campaignspend")
        return spend_for_user(user=self.request.user)

    def get_serializer_class(self):
        return SpendInputSerializer if self.request.method == "POST" else SpendSerializer

    def create(self, request, *args, **kwargs):
        api_require(request.user, "insights.add_campaignspend")
        api_require(request.user, "insights.change_campaignspend")
        spend, outcome = services.spend_upsert(**_valid(SpendInputSerializer, request.data))
        code = status.HTTP_201_CREATED if outcome == services.CREATED else status.HTTP_200_OK
        return Response(SpendSerializer(spend).data, status=code)


@extend_schema_view(
    get=extend_schema(summary="One campaign spend row", parameters=[SPEND_ID]),
    patch=extend_schema(
        summary="Change a campaign spend row",
        parameters=[SPEND_ID],
        request=SpendInputSerializer(partial=True),
        responses={200: SpendSerializer, 400: ERRORS, 403: ERRORS, 404: ERRORS},
    ),
    delete=extend_schema(
        summary="Delete a campaign spend row",
        parameters=[SPEND_ID],
        responses={204: None, 403: ERRORS, 404: ERRORS},
    ),
)
class SpendDetailApi(generics.GenericAPIView):
    parser_classes = [JSONObjectParser]
    serializer_class = SpendSerializer
    queryset = CampaignSpend.objects.none()
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def spend(self, request, pk) -> CampaignSpend:
        api_require(request.user, "insights.view_campaignspend")
        return spend_get_for_user(user=request.user, pk=pk)

    def get(self, request, pk: int):
        return Response(SpendSerializer(self.spend(request, pk)).data)

    def patch(self, request, pk: int):
        spend = self.spend(request, pk)
        api_require(request.user, "insights.change_campaignspend")
        data = _valid(SpendInputSerializer, request.data, partial=True)
        spend = services.spend_update(spend=spend, data=data)
        return Response(SpendSerializer(spend).data)

    def delete(self, request, pk: int):
        spend = self.spend(request, pk)
        api_require(request.user, "insights.delete_campaignspend")
        services.spend_delete(spend=spend)
        return Response(status=status.HTTP_204_NO_CONTENT)

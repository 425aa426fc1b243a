"""Serializers of insights' API: deals and campaign spend."""

from rest_framework import serializers

from core.serializers import ModelSerializer
from insights.models import CampaignSpend, Deal, DealStage

ID_MAX = 2**63 - 1  # a bigint id


class DealSerializer(ModelSerializer):
    contact_email = serializers.EmailField(source="contact.email", read_only=True)
    company_name = serializers.CharField(source="company.name", read_only=True, allow_null=True)

    class Meta:
        model = Deal
        fields = [
            "id",
            "contact",
            "contact_email",
            "company",
            "company_name",
            "name",
            "amount",
            "currency",
            "stage",
            "created_at",
            "closed_at",
            "lost_reason",
            "source",
            "external_id",
            "recorded_at",
            "updated_at",
        ]
        read_only_fields = fields


class DealInputSerializer(serializers.Serializer):
    """A deal as sent to POST /api/v1/deals/ (all of it) or PATCH (what changes)."""

    contact = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="Contact id; or give contact_email"
    )
    contact_email = serializers.EmailField(
        required=False, help_text="The contact's email (an existing contact you may see)"
    )
    company = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=ID_MAX,
        help_text="Company id; a new deal defaults to the contact's company; null for none",
    )
    name = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = serializers.CharField(
        required=False,
        max_length=3,
        help_text="Must be the organisation's currency (LEADBRIDGE_CURRENCY); the default",
    )
    stage = serializers.ChoiceField(choices=DealStage.choices, required=False)
    created_at = serializers.DateTimeField(
        required=False, help_text="When the deal was created in the CRM; default: now"
    )
    closed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Won or lost deals: when they closed (default: when recorded as closed); "
        "refused on an open deal",
    )
    lost_reason = serializers.CharField(required=False, max_length=200, allow_blank=True)
    source = serializers.CharField(
        required=False,
        max_length=100,
        allow_blank=True,
        help_text="The system the external_id comes from, e.g. the CRM's name",
    )
    external_id = serializers.CharField(
        required=False,
        max_length=200,
        allow_blank=True,
        help_text="The deal's id in that system: a deal sent again with the same source and "
        "external_id is updated, not duplicated",
    )


class DealPatchSerializer(DealInputSerializer):
    """The fields of a deal a PATCH may change (source and external_id identify it)."""

    source = None
    external_id = None


class SpendSerializer(ModelSerializer):
    month = serializers.DateField(read_only=True, format="%Y-%m-%d", help_text="First day")

    class Meta:
        model = CampaignSpend
        fields = ["id", "campaign", "channel", "month", "amount", "updated_at"]
        read_only_fields = fields


class SpendInputSerializer(serializers.Serializer):
    campaign = serializers.CharField(
        max_length=200, help_text="As contacts and events carry it (their campaign)"
    )
    channel = serializers.CharField(
        max_length=100, help_text="As contacts and events carry it (their source)"
    )
    month = serializers.CharField(
        max_length=10, help_text="YYYY-MM, or a date in the month; stored as the first day"
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)

from django.conf import settings
from django.db import models
from django.db.models import Q

from leads.models import Company, Contact


def organisation_currency() -> str:
    return settings.LEADBRIDGE_CURRENCY


class DealStage(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class Deal(models.Model):
    """An opportunity, usually mirrored from a CRM (upserted by `source` + `external_id`).

    Amounts are in the organisation's one currency (settings.LEADBRIDGE_CURRENCY); `currency`
    records the code a deal arrived with, which must be that one."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deals")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default=organisation_currency)
    stage = models.CharField(max_length=10, choices=DealStage.choices, default=DealStage.OPEN)
    created_at = models.DateTimeField(help_text="When the deal was created (in the CRM)")
    closed_at = models.DateTimeField(null=True, blank=True)
    lost_reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=100, blank=True, help_text="e.g. the CRM's name")
    external_id = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="deal_unique_external_id",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(stage=DealStage.OPEN, closed_at__isnull=True)
                | (Q(stage__in=[DealStage.WON, DealStage.LOST]) & Q(closed_at__isnull=False)),
                name="deal_closed_when_won_or_lost",
            ),
        ]
        indexes = [
            models.Index(fields=["contact", "created_at"], name="deal_contact_created"),
            models.Index(fields=["stage", "closed_at"], name="deal_stage_closed"),
            models.Index(fields=["created_at"], name="deal_created"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignSpend(models.Model):
    """What a campaign cost on a channel in a month. `campaign` matches the campaign values
    contacts and events carry, `channel` their `source`; `month` is the month's first day."""

    campaign = models.CharField(max_length=200)
    channel = models.CharField(max_length=100)
    month = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month", "campaign", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "month"], name="campaignspend_one_per_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="campaignspend_month_start"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="campaignspend_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} / {self.channel} {self.month:%Y-%m}"

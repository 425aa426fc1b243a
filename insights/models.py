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


# --- backtests of a scoring model's draft -----------------------------------------------------


class BacktestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Backtest(models.Model):
    """A draft scored as of each past decision (and each candidate's latest activity) of the
    last `days` days up to `as_of`: what the draft would have kept, avoided, missed and added.
    Written only by insights.backtest (backtest_start, backtest_run)."""

    scoring_model = models.ForeignKey(
        "scoring.ScoringModel", on_delete=models.CASCADE, related_name="+"
    )
    definition = models.JSONField(help_text="The draft as it was when the backtest started")
    days = models.PositiveIntegerField()
    as_of = models.DateTimeField(help_text="The end of the period of decisions looked at")
    include_new = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=BacktestStatus.choices, default=BacktestStatus.QUEUED
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    anchors_total = models.PositiveIntegerField(default=0)
    anchors_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scoring_model", "-created_at"], name="backtest_model")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BacktestStatus.values), name="backtest_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Backtest {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (BacktestStatus.DONE, BacktestStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == BacktestStatus.DONE:
            return 100
        if not self.anchors_total:
            return 0
        return min(99, 100 * self.anchors_done // self.anchors_total)


class AnchorKind(models.TextChoices):
    MQL = "mql", "Decided MQL"
    CANDIDATE = "candidate", "Never an MQL"


class BacktestAnchor(models.Model):
    """One (contact, moment) a backtest scores the draft at: a decided MQL at its decision
    time, or a contact that was never an MQL at its latest activity in the period. The column
    names are those of the scoring engine's anchored scope (anchor_id, contact_id, as_of)."""

    anchor_id = models.BigAutoField(primary_key=True)
    backtest = models.ForeignKey(Backtest, on_delete=models.CASCADE, related_name="anchors")
    # Plain ids, no foreign keys: rows are written in bulk by one INSERT … SELECT and read only
    # with their backtest; a contact or MQL deleted later leaves a number behind.
    contact_id = models.BigIntegerField()
    mql_id = models.BigIntegerField(null=True, blank=True)
    as_of = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=AnchorKind.choices)
    outcome = models.CharField(max_length=10, blank=True)  # feedback.Outcome value, or ""
    won = models.BooleanField(default=False)
    in_segment = models.BooleanField(default=False)  # the draft scores this contact
    eligible = models.BooleanField(default=False)  # MQL-eligible under the draft at as_of
    fit = models.FloatField(null=True, blank=True)
    engagement = models.FloatField(null=True, blank=True)
    total = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["backtest", "anchor_id"], name="backtestanchor_run")]

    def __str__(self) -> str:
        return f"Anchor {self.anchor_id} of backtest {self.backtest_id}"

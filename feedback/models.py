"""Sales' answers to marketing: one decision per MQL, with the reason and what qualified it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from handoff.models import Mql

User = settings.AUTH_USER_MODEL

DEFAULT_REJECT_REASONS = [
    ("not_icp", "Not our ideal customer"),
    ("no_authority", "Wrong person / no authority"),
    ("no_budget", "No budget"),
    ("bad_timing", "Bad timing"),
    ("no_need", "No need"),
    ("duplicate", "Duplicate"),
    ("competitor", "Competitor"),
    ("bad_data", "Bad or fake data"),
    ("already_customer", "Already a customer"),
    ("unresponsive", "Unresponsive"),
]


class RejectReason(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Outcome(models.TextChoices):
    ACCEPT = "accept", "Accepted"
    REJECT = "reject", "Rejected"


class Disposition(models.TextChoices):
    NURTURE = "nurture", "Back to nurture (can qualify again)"
    DISQUALIFIED = "disqualified", "Disqualified"


class Decision(models.Model):
    """Written once per MQL (the one-to-one makes a second decision impossible)."""

    mql = models.OneToOneField(Mql, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.ForeignKey(
        RejectReason, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    comment = models.TextField(blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(db_index=True)
    time_to_decision = models.DurationField(help_text="From becoming an MQL to this decision")
    # Copied from the MQL and contact so the feedback inbox filters without joins to live data.
    team = models.ForeignKey(
        "handoff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    scoring_model = models.ForeignKey(
        "scoring.ScoringModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_keys = models.JSONField(default=list, blank=True, help_text="Rules that fired")
    snapshot = models.JSONField(default=dict, blank=True, help_text="Score and breakdown")

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="accept", reason__isnull=True, disposition="")
                | Q(outcome="reject", reason__isnull=False, disposition__in=Disposition.values),
                name="decision_reason_matches_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} MQL {self.mql_id}"

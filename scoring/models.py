import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from leads.models import Contact, EventType
from scoring.catalogue import Operator


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class EngagementMode(models.TextChoices):
    PER_OCCURRENCE = "per_occurrence", "Points per occurrence (with a cap)"
    ONCE_AT_COUNT = "once_at_count", "Points once when the count reaches N"


def new_rule_key() -> str:
    """A stable rule identity that survives publishing and rollback (diffs match on it)."""
    return secrets.token_hex(4)


class ScoringModel(models.Model):
    """A scoring model and its *draft*: segment, thresholds, bands and the draft rule rows.

    Publishing freezes the draft into a ModelVersion; the engine only ever runs versions.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # [{"field", "operator", "value"}, ...], all must hold; empty = every contact.
    segment = models.JSONField(default=list, blank=True)
    priority = models.IntegerField(default=0, help_text="Higher wins when segments overlap")
    lookback_days = models.PositiveIntegerField(default=365)
    fit_min = models.IntegerField(default=50)
    engagement_min = models.IntegerField(default=20)
    total_min = models.IntegerField(null=True, blank=True, help_text="Optional: MQL on total")
    # Grade bands: fit ≥ grade_a_min → A, ≥ b → B, ≥ c → C, otherwise D.
    grade_a_min = models.IntegerField(default=80)
    grade_b_min = models.IntegerField(default=50)
    grade_c_min = models.IntegerField(default=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    draft_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "name"]
        permissions = [("start_rescore", "Can start a full rescore of every contact")]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_a_min__gt=F("grade_b_min")) & Q(grade_b_min__gt=F("grade_c_min")),
                name="scoringmodel_grade_bands_descending",
            ),
            models.CheckConstraint(condition=Q(lookback_days__gte=1), name="scoringmodel_lookback"),
        ]

    def __str__(self) -> str:
        return self.name


class DraftRule(models.Model):
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="%(class)ss")
    key = models.CharField(max_length=16, default=new_rule_key, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.key}"


class FitRule(DraftRule):
    field = models.CharField(max_length=100)
    operator = models.CharField(max_length=20, choices=Operator.choices)
    value = models.JSONField(null=True, blank=True)
    points = models.IntegerField()

    class Meta(DraftRule.Meta):
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="fitrule_key_unique"),
            models.CheckConstraint(condition=~Q(points=0), name="fitrule_points_nonzero"),
        ]


class EngagementRule(DraftRule):
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    property_name = models.CharField(max_length=64, blank=True)
    property_operator = models.CharField(max_length=20, choices=Operator.choices, blank=True)
    property_value = models.JSONField(null=True, blank=True)
    mode = models.CharField(max_length=20, choices=EngagementMode.choices)
    points = models.PositiveIntegerField()
    cap = models.PositiveIntegerField(null=True, blank=True, help_text="Per-occurrence cap")
    min_count = models.PositiveIntegerField(null=True, blank=True, help_text="N for once mode")
    window_days = models.PositiveIntegerField(null=True, blank=True, help_text="Default: lookback")
    half_life_days = models.FloatField(null=True, blank=True)

    class Meta(DraftRule.Meta):
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="engagementrule_key_unique"),
            models.CheckConstraint(condition=Q(points__gte=1), name="engagementrule_points"),
            models.CheckConstraint(
                condition=Q(mode=EngagementMode.PER_OCCURRENCE, min_count__isnull=True)
                | Q(mode=EngagementMode.ONCE_AT_COUNT, min_count__gte=1, cap__isnull=True),
                name="engagementrule_mode_fields",
            ),
        ]


class Disqualifier(DraftRule):
    label = models.CharField(max_length=100)
    field = models.CharField(max_length=100)
    operator = models.CharField(max_length=20, choices=Operator.choices)
    value = models.JSONField(null=True, blank=True)

    class Meta(DraftRule.Meta):
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="disqualifier_key_unique"),
        ]


class ModelVersion(models.Model):
    """A frozen, published definition (scoring.spec.ModelSpec.to_dict()). Never edited."""

    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    note = models.TextField(blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="modelversion_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model} v{self.number}"


class ScoreFields(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    fit = models.FloatField()
    engagement = models.FloatField()
    total = models.FloatField()
    grade = models.CharField(max_length=1, choices=Grade.choices)
    mql_eligible = models.BooleanField()
    blocked_by = models.CharField(max_length=100, blank=True, help_text="Disqualifier label")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.total} ({self.grade})"


class ContactScore(ScoreFields):
    """The current score of a contact under a model; written only by scoring.engine."""

    breakdown = models.JSONField(default=list)  # [{"rule": key, "points": p}, ...] fired rules
    scored_at = models.DateTimeField(help_text="When this score last changed")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "model"], name="contactscore_one_per_model"),
            models.CheckConstraint(
                condition=Q(grade__in=Grade.values), name="contactscore_grade_valid"
            ),
            models.CheckConstraint(
                condition=Q(mql_eligible=False) | Q(blocked_by=""),
                name="contactscore_blocked_not_eligible",
            ),
        ]
        indexes = [models.Index(fields=["model", "mql_eligible"], name="contactscore_model_mql")]


class ScoreHistory(ScoreFields):
    """Append-only: one row each time a contact's score under a model changed."""

    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["contact", "model", "recorded_at"], name="scorehistory_trend")
        ]

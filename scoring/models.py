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
    """A score's columns. The three references have no database constraint and no index of
    their own: only the engine writes these rows, from the contacts it has just read and the
    version it holds locked (FOR KEY SHARE, once per chunk) for the statement, so the per-row
    foreign-key checks (a third of a full rescore's write) would prove nothing; the tables'
    own indexes cover the lookups. model_delete deletes a model's scores before its versions."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    model = models.ForeignKey(
        ScoringModel, on_delete=models.CASCADE, related_name="+", db_constraint=False,
        db_index=False,
    )  # fmt: skip
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
        db_index=False,
    )  # fmt: skip
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
    # Every rule's points in the version's order, as text: how the engine tells that a
    # breakdown changed without building it for every contact ("" until first written so).
    points_key = models.TextField(db_default="", editable=False)
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
        indexes = [
            # The eligible few (the contacts filter, qualification): a row that is not eligible
            # costs no entry here, which a full rescore writing every score feels.
            models.Index(
                fields=["model", "contact"],
                condition=Q(mql_eligible=True),
                name="contactscore_eligible",
            )
        ]


class ScoreHistory(ScoreFields):
    """Append-only: one row each time a contact's score under a model changed."""

    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            models.Index(fields=["contact", "model", "recorded_at"], name="scorehistory_trend"),
        ]


# --- rescoring: runs, their chunks, and the incremental queue ---------------------------------


class RescoreKind(models.TextChoices):
    FULL = "full", "Full"
    SCHEDULED = "scheduled", "Scheduled (changed contacts only)"


class RescoreStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RescoreRun(models.Model):
    """One rescore: a full one (every contact, in chunk tasks) or a scheduled one (changed only).

    At most one run of a kind is running and at most one is queued (partial unique indexes): a
    full rescore asked for while one runs becomes the single queued follow-up, started when the
    running one ends. Every chunk scores "as of" the same moment and under the same versions
    (`plan`), both fixed when the run starts.
    """

    kind = models.CharField(max_length=10, choices=RescoreKind.choices)
    status = models.CharField(
        max_length=10, choices=RescoreStatus.choices, default=RescoreStatus.QUEUED
    )
    reason = models.CharField(max_length=300)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True, help_text="Last chunk finished")
    as_of = models.DateTimeField(null=True, blank=True, help_text="The `now` of every chunk")
    # [{"model": id, "version": id}, ...] in the order models claim contacts (priority, name).
    plan = models.JSONField(default=list, blank=True)
    event_watermark = models.BigIntegerField(
        null=True, blank=True, help_text="Highest event id when the run started"
    )
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    contacts_scored = models.PositiveIntegerField(default=0)
    scores_changed = models.PositiveIntegerField(default=0)
    mqls_created = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="running"),
                name="rescorerun_one_running_per_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="queued"),
                name="rescorerun_one_queued_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(chunks_done__lte=F("chunks_total")), name="rescorerun_chunks_done"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-as_of"], name="rescorerun_status_as_of"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} rescore #{self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RescoreStatus.DONE, RescoreStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == RescoreStatus.DONE:
            return 100
        return int(100 * self.chunks_done / self.chunks_total) if self.chunks_total else 0


class RescoreChunk(models.Model):
    """A contact id range of a full run; done once, by whichever worker claims it first."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="chunks")
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    done = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    contacts_scored = models.PositiveIntegerField(default=0)
    scores_changed = models.PositiveIntegerField(default=0)
    mqls_created = models.PositiveIntegerField(default=0)
    # The heartbeat the stall scan reads (scoring.rescore.repair): a worker claims the chunk
    # (committed) before it scores it; a chunk claimed, or re-sent, longer ago than
    # STALLED_WORK_AFTER_SECONDS and still not done lost its worker and is sent again.
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Last worker started it")
    claims = models.PositiveIntegerField(default=0, help_text="Times a worker started it")
    resent = models.PositiveIntegerField(default=0, help_text="Times the stall scan re-sent it")
    resent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "lo"]
        indexes = [
            models.Index(
                fields=["run", "claimed_at"], condition=Q(done=False), name="rescorechunk_not_done"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "lo"], name="rescorechunk_range_unique"),
            models.CheckConstraint(condition=Q(lo__lte=F("hi")), name="rescorechunk_range"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} contacts {self.lo}–{self.hi}"


class RescorePending(models.Model):
    """A contact waiting for its incremental rescore: the marker that deduplicates the tasks."""

    contact_id = models.BigIntegerField(primary_key=True)
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"contact {self.contact_id} since {self.queued_at:%H:%M:%S}"

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.text import text_validator


class LifecycleStage(models.TextChoices):
    SUBSCRIBER = "subscriber", "Subscriber"
    LEAD = "lead", "Lead"
    MQL = "mql", "MQL"
    SQL = "sql", "SQL"
    OPPORTUNITY = "opportunity", "Opportunity"
    CUSTOMER = "customer", "Customer"
    NURTURE = "nurture", "Nurture"
    DISQUALIFIED = "disqualified", "Disqualified"


class Seniority(models.TextChoices):
    ENTRY = "entry", "Entry level"
    SENIOR = "senior", "Senior individual contributor"
    MANAGER = "manager", "Manager"
    DIRECTOR = "director", "Director"
    VP = "vp", "Vice president"
    C_LEVEL = "c_level", "C-level"
    OWNER = "owner", "Owner / founder"


class Department(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    ENGINEERING = "engineering", "Engineering"
    IT = "it", "IT"
    FINANCE = "finance", "Finance"
    OPERATIONS = "operations", "Operations"
    HR = "hr", "Human resources"
    PRODUCT = "product", "Product"
    EXECUTIVE = "executive", "Executive"
    OTHER = "other", "Other"


class EventType(models.TextChoices):
    PAGE_VIEW = "page_view", "Page view"
    EMAIL_OPEN = "email_open", "Email open"
    EMAIL_CLICK = "email_click", "Email click"
    FORM_SUBMIT = "form_submit", "Form submit"
    CONTENT_DOWNLOAD = "content_download", "Content download"
    WEBINAR_REGISTERED = "webinar_registered", "Webinar registration"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    DEMO_REQUEST = "demo_request", "Demo request"
    VIDEO_WATCHED = "video_watched", "Video watched"
    SOCIAL_INTERACTION = "social_interaction", "Social interaction"
    TRIAL_SIGNUP = "trial_signup", "Trial signup"


class Company(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. example.com")
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    tags = models.JSONField(
        default=list,
        blank=True,
        validators=[text_validator],
        help_text="Free tags, e.g. tech stack",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"), condition=~models.Q(domain=""), name="company_domain_unique_ci"
            ),
        ]
        # The scheduled rescore looks for companies changed since its last run.
        indexes = [models.Index(fields=["updated_at"], name="company_updated_at")]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    department = models.CharField(max_length=20, choices=Department.choices, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
    )
    # Written only by leads.services.stage_change.
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.LEAD, editable=False
    )
    stage_entered_at = models.DateTimeField(editable=False)
    attributes = models.JSONField(
        default=dict, blank=True, validators=[text_validator], help_text="Custom attributes"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="contact_email_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(lifecycle_stage__in=LifecycleStage.values),
                name="contact_lifecycle_stage_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["lifecycle_stage", "stage_entered_at"]),
            models.Index(fields=["owner", "lifecycle_stage"]),
            # The scheduled rescore looks for contacts changed since its last run.
            models.Index(fields=["updated_at"], name="contact_updated_at"),
        ]
        permissions = [
            ("view_all_contacts", "Can see every contact, not only own ones"),
            ("change_stage", "Can change a contact's lifecycle stage"),
            ("import_contacts", "Can import contacts and events"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ActivityEvent(models.Model):
    # No separate index on contact: event_contact_time starts with contact_id and serves the
    # foreign key; every extra index costs bulk ingest (see bench/import_events.py).
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    # On PostgreSQL the column uses the "C" collation (migration 0004): event_type_window then
    # sorts bytes instead of locale rules, which makes building and maintaining it ~3x cheaper.
    event_type = models.CharField(max_length=32, choices=EventType.choices)
    properties = models.JSONField(default=dict, blank=True, validators=[text_validator])
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="event_external_id_unique_per_source",
            ),
        ]
        indexes = [
            # Covering: the scoring engine aggregates a range of contacts' events by type and
            # time from the index alone, in contact order (an index-only scan); read backwards
            # it also lists a contact's newest events first.
            models.Index(
                fields=["contact", "occurred_at"],
                include=["event_type"],
                name="event_contact_time",
            ),
            models.Index(fields=["event_type", "occurred_at"], name="event_type_window"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class StageChange(models.Model):
    """Append-only history of lifecycle stage changes; written only by stage_change()."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=LifecycleStage.choices)
    changed_at = models.DateTimeField()
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_system = models.CharField(
        max_length=50, blank=True, help_text="Named system component, e.g. scoring or import"
    )
    reason = models.TextField()
    override = models.BooleanField(default=False)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["contact", "changed_at"], name="stagechange_contact_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_user__isnull=False) | ~models.Q(actor_system=""),
                name="stagechange_has_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage or '∅'} → {self.to_stage}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Stage history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stage history is append-only")

    @property
    def actor_label(self) -> str:
        return self.actor_user.get_username() if self.actor_user_id else self.actor_system


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def _import_upload_to(job: "ImportJob", filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{filename}"


class ImportJob(models.Model):
    """One upload of a CSV file: its kind (contacts, or a kind an app above registered: see
    leads.imports.kinds), its column mapping, progress and per-row report."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField(
        max_length=30, default="contacts", help_text="What the rows are: contacts, deals, …"
    )
    file = models.FileField(upload_to=_import_upload_to, max_length=300)
    original_filename = models.CharField(max_length=255)
    mapping = models.JSONField(default=dict, blank=True, help_text="CSV column → target field")
    options = models.JSONField(default=dict, blank=True, help_text="e.g. the initial stage")
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # The first REJECTED_KEPT rejected rows as [line, column/field, reason, raw row]; the
    # full list is in the rejected-rows CSV (rejected_file).
    rejected_rows = models.JSONField(default=list, blank=True)
    rejected_file = models.FileField(upload_to=_import_upload_to, max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importjob_user_newest"),
            # The stall scan (imports_stalled_fail): running jobs by their last heartbeat.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status="running"),
                name="importjob_running_beat",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Import of {self.original_filename} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))

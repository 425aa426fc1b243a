"""The handoff from marketing to sales: teams, routing, the MQL queue, touches and SLA clocks."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from handoff.business_time import BusinessCalendar
from leads.models import Contact

User = settings.AUTH_USER_MODEL


def default_hours() -> dict:
    """Monday to Friday, 09:00–17:00 (minutes after local midnight)."""
    return {str(day): [[9 * 60, 17 * 60]] for day in range(5)}


class WorkCalendar(models.Model):
    """A team's business hours: working days and hours, time zone, public and extra holidays."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    # {"0": [[540, 1020]], ...}: weekday (0 = Monday) → [open, close) in minutes after midnight.
    hours = models.JSONField(default=default_hours)
    country = models.CharField(max_length=2, blank=True, help_text="Public holidays of")
    subdivision = models.CharField(max_length=10, blank=True, help_text="State or province")
    closed_dates = models.JSONField(default=list, blank=True, help_text="Extra closed days")

    def __str__(self) -> str:
        return self.name

    def as_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            hours={int(day): tuple(map(tuple, spans)) for day, spans in self.hours.items()},
            country=self.country,
            subdivision=self.subdivision,
            closed_dates=frozenset(date.fromisoformat(d) for d in self.closed_dates),
        )


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    calendar = models.ForeignKey(
        WorkCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="teams"
    )
    is_fallback = models.BooleanField(
        default=False, help_text="Receives the MQLs that no routing rule matches"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"], condition=Q(is_fallback=True), name="team_one_fallback"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Manager"


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.REP)
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of new MQLs (1 to 100)",
    )
    max_open_mqls = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(10000)],
        help_text="No new MQLs while this many are open (at most 10000)",
    )
    is_active = models.BooleanField(default=True)
    # Weighted round-robin: the next MQL goes to the rep with the lowest (assigned + 1) / weight.
    assigned_total = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="teammember_once_per_team"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="teammember_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class OutOfOffice(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="out_of_office")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="outofoffice_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_on} to {self.ends_on}"


class RoutingRule(models.Model):
    """Ordered: the first active rule whose conditions all hold sends the MQL to its team."""

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # [{"field", "operator", "value"}, ...] over contact/company fields, as scoring segments.
    conditions = models.JSONField(default=list, blank=True)
    scoring_model = models.ForeignKey(
        "scoring.ScoringModel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Only MQLs qualified by this scoring model (segment)",
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="routing_rules")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class MqlStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed (left the MQL stage otherwise)"


class Mql(models.Model):
    """One handoff of a contact to sales, from qualification to the rep's decision."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="mqls")
    status = models.CharField(max_length=10, choices=MqlStatus.choices, default=MqlStatus.OPEN)
    qualified_at = models.DateTimeField()
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT)
    # The team its routing chose (a rule's, else the fallback team), even when nobody there
    # could take it: its delivery clock runs on that team's policy and calendar, and its
    # managers hear of a delivery breach.
    routed_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_touch_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Closed outside the queue: the stage change that took the contact out of `mql` (who, why,
    # to which stage, when).
    closed_by_change = models.ForeignKey(
        "leads.StageChange", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Due time of its next running SLA clock: the queue's order. Kept by the services that
    # start and stop clocks (handoff.services.clocks._next_due_refresh), so the queue is an
    # index scan.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What qualified it, frozen at qualification.
    scoring_model = models.ForeignKey(
        "scoring.ScoringModel", null=True, blank=True, on_delete=models.SET_NULL
    )
    model_version = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL
    )
    fit = models.FloatField(null=True, blank=True)
    engagement = models.FloatField(null=True, blank=True)
    total = models.FloatField(null=True, blank=True)
    grade = models.CharField(max_length=1, blank=True)
    breakdown = models.JSONField(default=list, blank=True)
    # Its attribution, frozen when it opened: the contact's source and campaign (how the lead
    # was acquired: what campaign spend is matched with), and the campaign of the contact's
    # latest campaign-tagged event before then (the last campaign that touched it).
    source = models.CharField(max_length=100, blank=True)
    campaign = models.CharField(max_length=200, blank=True)
    touch_campaign = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "MQL"
        permissions = [("reassign_mql", "Can reassign the MQLs of teams they manage")]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(status="open"), name="mql_one_open_per_contact"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MqlStatus.values), name="mql_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"], name="mql_owner_status"),
            models.Index(fields=["team", "status"], name="mql_team_status"),
            models.Index(
                fields=["qualified_at"], condition=Q(team__isnull=True), name="mql_unassigned"
            ),
            # Cohorts of the funnel metrics (insights): the MQLs opened in a period.
            models.Index(fields=["qualified_at"], name="mql_qualified_at"),
            # A rep's queue, in its order (selectors.queue_for_user; ascending puts NULLs last
            # on PostgreSQL): a page of 25 reads 25 index entries.
            models.Index(
                fields=["owner", "next_due_at", "-total", "id"],
                condition=Q(status="open"),
                name="mql_queue_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"MQL {self.pk} ({self.contact_id}, {self.status})"


class AssignedBy(models.TextChoices):
    RULE = "rule", "Routing rule"
    EXISTING_OWNER = "existing_owner", "Existing owner in the team"
    FALLBACK = "fallback", "Fallback team"
    REASSIGNED = "reassigned", "Reassigned"
    NOBODY_AVAILABLE = "nobody_available", "Nobody available"


class Assignment(models.Model):
    """Append-only log of who got an MQL and why."""

    mql = models.ForeignKey(Mql, on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(Team, null=True, on_delete=models.SET_NULL, related_name="+")
    owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    previous_owner = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    how = models.CharField(max_length=20, choices=AssignedBy.choices)
    rule = models.ForeignKey(RoutingRule, null=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    # When the new owner was told (handoff.services.notifications.new_mqls_notify): at once,
    # or in their next digest.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(
                fields=["owner"], condition=Q(notified_at__isnull=True), name="assignment_untold"
            ),
        ]

    def __str__(self) -> str:
        return f"MQL {self.mql_id} to {self.owner_id} ({self.how})"


class TouchKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"


class Touch(models.Model):
    mql = models.ForeignKey(Mql, on_delete=models.CASCADE, related_name="touches")
    kind = models.CharField(max_length=10, choices=TouchKind.choices)
    note = models.TextField(blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on MQL {self.mql_id}"


class SlaKind(models.TextChoices):
    DELIVERY = "delivery", "Delivery (assigned)"
    FIRST_TOUCH = "first_touch", "First touch"
    DECISION = "decision", "Decision"


class DurationUnit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    BUSINESS_HOURS = "business_hours", "business hours"
    BUSINESS_DAYS = "business_days", "business days"


# The longest SLA target: 365 days, in each unit (business hours count as hours).
MAX_SLA_DAYS = 365
MAX_AMOUNT = {
    DurationUnit.MINUTES: MAX_SLA_DAYS * 24 * 60,
    DurationUnit.HOURS: MAX_SLA_DAYS * 24,
    DurationUnit.BUSINESS_HOURS: MAX_SLA_DAYS * 24,
    DurationUnit.BUSINESS_DAYS: MAX_SLA_DAYS,
}
SLA_KINDS_WITH_TARGETS = ("delivery", "first_touch", "decision")
DURATION_HELP = (
    "At most 365 days. Business days keep the time of day and start at the next opening, so "
    "2 business days from Saturday are Wednesday 09:00; business hours count opening hours "
    "only, so 16 business hours from Saturday are Tuesday 17:00 (with 09:00–17:00 hours)."
)


def _amount_within_bounds(kind: str) -> Q:
    amount, unit = f"{kind}_amount", f"{kind}_unit"
    return Q(
        *(Q(**{unit: u, f"{amount}__lte": limit}) for u, limit in MAX_AMOUNT.items()),
        _connector=Q.OR,
    )


class SlaPolicy(models.Model):
    """Targets for a team, a scoring model (segment), or everything (the default policy).

    The most specific policy applies: team and model, then team, then model, then the default.
    """

    name = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE)
    scoring_model = models.ForeignKey(
        "scoring.ScoringModel", null=True, blank=True, on_delete=models.CASCADE
    )
    delivery_amount = models.PositiveIntegerField(
        default=24,
        validators=[MaxValueValidator(MAX_AMOUNT[DurationUnit.MINUTES])],
        help_text=DURATION_HELP,
    )
    delivery_unit = models.CharField(
        max_length=20, choices=DurationUnit.choices, default=DurationUnit.HOURS
    )
    first_touch_amount = models.PositiveIntegerField(
        default=2,
        validators=[MaxValueValidator(MAX_AMOUNT[DurationUnit.MINUTES])],
        help_text=DURATION_HELP,
    )
    first_touch_unit = models.CharField(
        max_length=20, choices=DurationUnit.choices, default=DurationUnit.BUSINESS_DAYS
    )
    decision_amount = models.PositiveIntegerField(
        default=5,
        validators=[MaxValueValidator(MAX_AMOUNT[DurationUnit.MINUTES])],
        help_text=DURATION_HELP,
    )
    decision_unit = models.CharField(
        max_length=20, choices=DurationUnit.choices, default=DurationUnit.BUSINESS_DAYS
    )
    at_risk_share = models.FloatField(default=0.75, help_text="At risk once this share is used")

    class Meta:
        verbose_name_plural = "SLA policies"
        constraints = [
            # One policy per (team or none, model or none); NULLs count as equal.
            models.UniqueConstraint(
                Coalesce("team", Value(0)),
                Coalesce("scoring_model", Value(0)),
                name="slapolicy_one_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_share__gt=0, at_risk_share__lt=1),
                name="slapolicy_at_risk_share_range",
            ),
            *(
                models.CheckConstraint(
                    condition=_amount_within_bounds(kind), name=f"slapolicy_{kind}_within_a_year"
                )
                for kind in SLA_KINDS_WITH_TARGETS
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        for kind in SLA_KINDS_WITH_TARGETS:
            error = self.target_error(kind)
            if error:
                errors[f"{kind}_amount"] = error
        if errors:
            raise ValidationError(errors)

    def target_error(self, kind: str) -> str:
        """Why the target of `kind` is out of bounds, or ''."""
        amount, unit = self.target(kind)
        limit = MAX_AMOUNT.get(unit)
        if limit is not None and amount is not None and amount > limit:
            return f"At most {limit} {DurationUnit(unit).label} (365 days)."
        return ""

    def target(self, kind: str) -> tuple[int, str]:
        return getattr(self, f"{kind}_amount"), getattr(self, f"{kind}_unit")


class SlaClock(models.Model):
    """One SLA clock of an MQL: running until stopped (its step was done) or breached (it ran
    out first; the breach scan records it on the clock itself, see Breach). A breached clock is
    stopped all the same when its step is done, so the running clocks stay few.

    The breach scan marks up to every running clock at once, and it must be cheap: none of the
    columns it writes is indexed (nor named by an index's condition), and pages keep free room
    (fillfactor 50, set in the migration), so PostgreSQL rewrites each row in place (a HOT
    update) without touching an index."""

    # (Looked up through the unique (mql, kind) index.)
    mql = models.ForeignKey(Mql, on_delete=models.CASCADE, related_name="clocks", db_index=False)
    kind = models.CharField(max_length=20, choices=SlaKind.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    at_risk_at = models.DateTimeField()
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    # When the owner was told it turned at risk (once; the breach scan does it).
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)

    # The breach, once the clock ran out: when the scan recorded it, the MQL's team and owner
    # at that moment (the breach stays theirs whoever takes the MQL later), the manager's
    # acknowledgement and the waiver. The references carry no database constraint and no
    # index (the ORM still nulls them): the scan copies them from the MQL it joins, the others
    # come from the signed-in user.
    breached_at = models.DateTimeField(null=True, blank=True)
    breached_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    breached_owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True, default="", db_default="")
    # Waived by a manager or admin: listed apart and left out of compliance figures.
    waived_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    waived_at = models.DateTimeField(null=True, blank=True)
    waiver_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mql", "kind"], name="slaclock_one_per_kind"),
        ]
        indexes = [
            # The breach scan: running clocks by due time (it skips the breached ones on the
            # rows, so that marking them changes no index).
            models.Index(
                fields=["due_at"], condition=Q(stopped_at__isnull=True), name="slaclock_running_due"
            ),
            # The breaches pages, newest first.
            models.Index(fields=["-due_at", "-id"], name="slaclock_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} clock of MQL {self.mql_id}, due {self.due_at:%Y-%m-%d %H:%M}"


class BreachManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(breached_at__isnull=False)


class Breach(SlaClock):
    """A clock that ran out, as the breaches pages, the API and the acknowledgement see it:
    the same row as its SlaClock (same id), recorded once by the breach scan."""

    objects = BreachManager()

    class Meta:
        proxy = True
        verbose_name_plural = "breaches"
        # Newest first by when they ran out (the scan records them within its minute).
        ordering = ["-due_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} breach of MQL {self.mql_id}"


class ClockChangeReason(models.TextChoices):
    ROUTED = "routed", "Routed to a team"
    TEAM_CHANGED = "team_changed", "Moved to another team"
    CALENDAR_CHANGED = "calendar_changed", "Calendar changed"
    POLICY_CHANGED = "policy_changed", "SLA policy changed"


class ClockChange(models.Model):
    """Append-only: a running clock's due time moved (written by clocks_retime only)."""

    mql = models.ForeignKey(Mql, on_delete=models.CASCADE, related_name="clock_changes")
    kind = models.CharField(max_length=20, choices=SlaKind.choices)
    old_due_at = models.DateTimeField()
    new_due_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=ClockChangeReason.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} clock of MQL {self.mql_id}: {self.old_due_at} → {self.new_due_at}"


class Notification(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    mql = models.ForeignKey(Mql, null=True, blank=True, on_delete=models.CASCADE)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]

    def __str__(self) -> str:
        return self.message

"""Reads of the handoff, always for a user: reps see their own MQLs, managers their teams', admins all."""

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncWeek
from django.http import Http404
from django.utils import timezone

from core.roles import is_admin
from handoff.models import Breach, MemberRole, Mql, MqlStatus, SlaClock, TeamMember
from leads.models import ActivityEvent


def managed_team_ids(user) -> list[int]:
    return list(
        TeamMember.objects.filter(user=user, role=MemberRole.MANAGER, is_active=True).values_list(
            "team_id", flat=True
        )
    )


def visibility_q(user, *, owner_field: str, team_field: str, routed_field: str = "") -> Q | None:
    """None: everything (admins); otherwise own rows plus those of teams the user manages
    (with `routed_field`: also rows with no team whose routing chose one of them)."""
    if is_admin(user):
        return None
    teams = managed_team_ids(user)
    scope = Q(**{owner_field: user.pk}) | Q(**{f"{team_field}__in": teams})
    if routed_field:
        scope |= Q(**{f"{team_field}__isnull": True, f"{routed_field}__in": teams})
    return scope


def mqls_for_user(*, user) -> QuerySet[Mql]:
    qs = Mql.objects.select_related("contact__company", "owner", "team")
    scope = visibility_q(user, owner_field="owner_id", team_field="team_id")
    return qs if scope is None else qs.filter(scope)


def mql_get_for_user(*, user, pk) -> Mql:
    try:
        return mqls_for_user(user=user).select_related("closed_by_change__actor_user").get(pk=pk)
    except (Mql.DoesNotExist, ValueError, TypeError):
        raise Http404("No such MQL.") from None


def queue_for_user(*, user) -> QuerySet[Mql]:
    """Open MQLs the user works, by SLA due time (the next running clock), then score."""
    return (
        mqls_for_user(user=user)
        .filter(status=MqlStatus.OPEN)
        .order_by(F("next_due_at").asc(nulls_last=True), F("total").desc(), "pk")
    )


def running_clocks(mqls: list[Mql]) -> dict[int, list[SlaClock]]:
    by_mql: dict[int, list[SlaClock]] = {m.pk: [] for m in mqls}
    for clock in SlaClock.objects.filter(mql__in=mqls, stopped_at__isnull=True).order_by("due_at"):
        by_mql[clock.mql_id].append(clock)
    return by_mql


def recent_events(mqls: list[Mql], *, per_contact: int = 3) -> dict[int, list[ActivityEvent]]:
    """The newest few events of each MQL's contact, in one query for a whole page.

    On PostgreSQL a LATERAL join reads at most `per_contact` rows per contact from the index
    (contact, occurred_at desc), however many events a contact has; elsewhere a window function.
    """
    ids = sorted({m.contact_id for m in mqls})
    by_contact: dict[int, list[ActivityEvent]] = {pk: [] for pk in ids}
    if not ids:
        return by_contact
    if connection.vendor == "postgresql":
        events = ActivityEvent.objects.raw(
            "SELECT e.* FROM unnest(%s::bigint[]) AS c(id) CROSS JOIN LATERAL"
            f" (SELECT * FROM {ActivityEvent._meta.db_table} WHERE contact_id = c.id"
            " ORDER BY occurred_at DESC, id DESC LIMIT %s) e",
            [ids, per_contact],
        )
    else:
        newest = Window(
            RowNumber(),
            partition_by=F("contact_id"),
            order_by=[F("occurred_at").desc(), F("id").desc()],
        )
        events = (
            ActivityEvent.objects.filter(contact_id__in=ids)
            .annotate(nth=newest)
            .filter(nth__lte=per_contact)
            .order_by("contact_id", "-occurred_at", "-id")
        )
    for event in events:
        by_contact[event.contact_id].append(event)
    return by_contact


def clock_state(clock: SlaClock, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if clock.breached_at or clock.due_at <= now:
        return "breached"
    return "at_risk" if clock.at_risk_at <= now else "on_track"


def breaches_for_user(*, user) -> QuerySet[Breach]:
    qs = Breach.objects.select_related(
        "mql__contact", "breached_owner", "breached_team", "policy", "acknowledged_by"
    )
    scope = visibility_q(user, owner_field="breached_owner_id", team_field="breached_team_id")
    return qs if scope is None else qs.filter(scope)


def breach_get_for_user(*, user, pk) -> Breach:
    try:
        return breaches_for_user(user=user).get(pk=pk)
    except (Breach.DoesNotExist, ValueError, TypeError):
        raise Http404("No such breach.") from None


# When a clock ended: breached, or else stopped in time (a breached clock is stopped later,
# when its step is done late; it ended when it breached).
CLOCK_ENDED = Coalesce("breached_at", "stopped_at")


def clocks_ended(since: datetime, until: datetime) -> QuerySet[SlaClock]:
    """The clocks that ended in [since, until), without the waived breaches (not counted at
    all): what SLA compliance counts, here and in the reports."""
    return SlaClock.objects.filter(
        Q(breached_at__gte=since, breached_at__lt=until)
        | Q(breached_at__isnull=True, stopped_at__gte=since, stopped_at__lt=until)
    ).filter(waived_at__isnull=True)


def sla_compliance(*, user, group_by: str, since: datetime, until: datetime) -> list[dict]:
    """Share of SLA clocks met per rep, team or week, over the clocks that ended (stopped in
    time, or breached) in [since, until). One aggregate query."""
    clocks = clocks_ended(since, until)
    # An MQL nobody could take counts against the team its routing chose.
    scope = visibility_q(
        user,
        owner_field="mql__owner_id",
        team_field="mql__team_id",
        routed_field="mql__routed_team_id",
    )
    if scope is not None:
        clocks = clocks.filter(scope)
    group = {
        "rep": Coalesce("mql__owner__username", Value("(unassigned)")),
        "team": Coalesce("mql__team__name", "mql__routed_team__name", Value("(no team)")),
        "week": TruncWeek(CLOCK_ENDED),
    }[group_by]
    rows = (
        clocks.values(group=group)
        .annotate(total=Count("pk"), breached=Count("pk", filter=Q(breached_at__isnull=False)))
        .order_by("group")
    )
    return [
        {
            "group": r["group"].date().isoformat() if group_by == "week" else r["group"],
            "clocks": r["total"],
            "met": r["total"] - r["breached"],
            "breached": r["breached"],
            "compliance": round((r["total"] - r["breached"]) / r["total"], 4),
        }
        for r in rows
    ]


def default_period(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - timedelta(weeks=8), now

"""Opening MQLs, routing them to a team and assigning them to a rep, reassigning them."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import retry_lock_conflicts
from core.exceptions import ConflictError, DomainError
from core.roles import is_admin
from handoff.models import (
    AssignedBy,
    Assignment,
    ClockChangeReason,
    MemberRole,
    Mql,
    MqlStatus,
    OutOfOffice,
    RoutingRule,
    SlaClock,
    SlaKind,
    Team,
    TeamMember,
)
from handoff.selectors import managed_team_ids
from handoff.services.clocks import (
    _clock,
    _next_due_refresh,
    calendar_for,
    clocks_retime,
    clocks_stop,
    policy_for,
)
from handoff.services.locking import mqls_lock
from handoff.services.notifications import _team_managers, new_mqls_notify, notify
from leads.models import Company, Contact
from leads.selectors import contacts_attribution
from scoring.engine.dialect import Dialect
from scoring.engine.query import condition_sql
from scoring.models import ContactScore
from scoring.spec import segment_from_list

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- opening MQLs ------------------------------------------------------------------------------


def mqls_open(*, contact_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Open an MQL (with what qualified it and a delivery clock) for each contact that just
    became an MQL and has no open one; assignment is queued on commit. Safe to run twice."""
    from handoff import tasks  # tasks import handoff.services

    now = now or timezone.now()
    ids = sorted(set(contact_ids))
    if not ids:
        return []
    with transaction.atomic():
        scores = {
            s.contact_id: s
            for s in ContactScore.objects.filter(contact_id__in=ids).order_by("mql_eligible")
        }
        open_already = set(
            Mql.objects.filter(contact_id__in=ids, status=MqlStatus.OPEN).values_list(
                "contact_id", flat=True
            )
        )
        new = [c for c in ids if c not in open_already]
        attribution = contacts_attribution(contact_ids=new, at=now)
        Mql.objects.bulk_create(
            [_new_mql(c, scores.get(c), attribution.get(c), now) for c in new],
            ignore_conflicts=True,  # a concurrent run opened it first
        )
        fresh = list(
            Mql.objects.filter(contact_id__in=ids, status=MqlStatus.OPEN, owner__isnull=True)
            .exclude(clocks__kind=SlaKind.DELIVERY)
            .select_related("team")
        )
        SlaClock.objects.bulk_create(_delivery_clocks(fresh), ignore_conflicts=True)
        fresh_ids = [m.pk for m in fresh]
        _next_due_refresh(fresh_ids)
        if fresh_ids:
            transaction.on_commit(lambda: tasks.mqls_assign.delay(fresh_ids))
    return fresh_ids


def _delivery_clocks(mqls: list[Mql]) -> list[SlaClock]:
    """Route the MQLs (Mql.routed_team) and build their delivery clocks on the routed team's
    policy and calendar, from qualification."""
    if not mqls:
        return []
    routes = mqls_route(mqls=mqls)
    by_team: dict[int | None, list[int]] = {}
    for mql in mqls:
        mql.routed_team = routes[mql.pk][0]
        by_team.setdefault(mql.routed_team_id, []).append(mql.pk)
    for team_id, ids in by_team.items():
        Mql.objects.filter(pk__in=ids).update(routed_team_id=team_id)
    policies: dict[tuple, object] = {}
    calendars: dict[int | None, object] = {}
    clocks = []
    for mql in mqls:
        key = (mql.routed_team_id, mql.scoring_model_id)
        if key not in policies:
            policies[key] = policy_for(team_id=key[0], scoring_model_id=key[1])
        if key[0] not in calendars:
            calendars[key[0]] = calendar_for(mql.routed_team)
        clocks.append(
            _clock(
                mql=mql,
                kind=SlaKind.DELIVERY,
                policy=policies[key],
                start=mql.qualified_at,
                calendar=calendars[key[0]],
            )
        )
    return clocks


def _new_mql(
    contact_id: int, score: ContactScore | None, attribution: tuple | None, now: datetime
) -> Mql:
    mql = Mql(contact_id=contact_id, qualified_at=now)
    if attribution is not None:
        mql.source, mql.campaign, mql.touch_campaign = attribution
    if score is not None:
        mql.scoring_model_id, mql.model_version_id = score.model_id, score.model_version_id
        mql.fit, mql.engagement, mql.total = score.fit, score.engagement, score.total
        mql.grade, mql.breakdown = score.grade, score.breakdown
    return mql


# --- routing and assignment --------------------------------------------------------------------


def _matching(rule: RoutingRule, mqls: list[Mql]) -> list[Mql]:
    """The MQLs whose contact meets every condition of `rule` (one query, conditions as SQL)."""
    mqls = [m for m in mqls if rule.scoring_model_id in (None, m.scoring_model_id)]
    if not mqls:
        return []
    d = Dialect(connection.vendor)
    parts = [condition_sql(c, d) for c in segment_from_list(rule.conditions)]
    marks = ", ".join(["%s"] * len(mqls))
    sql = (
        f"SELECT c.id FROM {Contact._meta.db_table} c"
        f" LEFT JOIN {Company._meta.db_table} co ON co.id = c.company_id"
        f" WHERE c.id IN ({marks})" + "".join(f" AND {s}" for s, _ in parts)
    )
    params = [m.contact_id for m in mqls] + [p for _, ps in parts for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        hits = {row[0] for row in cursor.fetchall()}
    return [m for m in mqls if m.contact_id in hits]


def mqls_route(*, mqls: list[Mql]) -> dict[int, tuple[Team | None, RoutingRule | None]]:
    """Team and rule for each MQL: the first active rule that matches, else the fallback team."""
    routes: dict[int, tuple[Team | None, RoutingRule | None]] = {}
    pending = list(mqls)
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team"):
        for mql in _matching(rule, pending):
            routes[mql.pk] = (rule.team, rule)
        pending = [m for m in pending if m.pk not in routes]
        if not pending:
            break
    fallback = Team.objects.filter(is_fallback=True).first()
    for mql in pending:
        routes[mql.pk] = (fallback, None)
    return routes


def routing_conditions_clean(rows) -> list[dict]:
    """Validate routing conditions as scoring segments are validated; errors name `conditions`."""
    try:
        conditions = segment_from_list(rows if rows is not None else [])
    except DomainError as error:
        field = (error.field or "conditions").replace("segment", "conditions", 1)
        raise DomainError(error.message, field=field) from None
    return [{"field": c.field, "operator": c.operator, "value": c.value} for c in conditions]


def mqls_assign(*, mql_ids: Iterable[int], now: datetime | None = None) -> int:
    """Route and assign the given MQLs that are still open and unassigned; returns how many
    got an owner. Safe to run twice: an MQL is claimed with a conditional update."""
    now = now or timezone.now()
    mqls = list(
        Mql.objects.filter(pk__in=list(mql_ids), status=MqlStatus.OPEN, owner__isnull=True)
        .select_related("contact")
        .order_by("qualified_at", "pk")
    )
    owners = []
    for mql in mqls:  # the batch that just qualified, not all contacts
        team, rule = mqls_route(mqls=[mql])[mql.pk]
        _routed_team_set(mql=mql, team=team, now=now)
        owners.append(_assign_one(mql=mql, team=team, rule=rule, now=now))
    assigned = [owner for owner in owners if owner is not None]
    if assigned:  # each rep hears of the batch's MQLs in one notification (or their digest)
        new_mqls_notify(owner_ids=set(assigned), now=now)
    return len(assigned)


@transaction.atomic
def _routed_team_set(*, mql: Mql, team: Team | None, now: datetime) -> None:
    """Routing chose `team` (rules may have changed since it opened): its delivery clock runs
    on that team's policy and calendar."""
    team_id = team.pk if team else None
    if mql.routed_team_id == team_id:
        return
    Mql.objects.filter(pk=mql.pk).update(routed_team_id=team_id)
    mql.routed_team = team
    clocks_retime(mql_ids=[mql.pk], reason=ClockChangeReason.ROUTED, now=now)


def mqls_unassigned_retry(*, now: datetime | None = None, limit: int = 500) -> int:
    """Assign MQLs that found nobody available earlier (a rep came back, a cap freed up)."""
    ids = list(
        Mql.objects.filter(team__isnull=True, status=MqlStatus.OPEN)
        .order_by("qualified_at")
        .values_list("pk", flat=True)[:limit]
    )
    return mqls_assign(mql_ids=ids, now=now) if ids else 0


def _away_user_ids(user_ids: list[int], today) -> set[int]:
    return set(
        OutOfOffice.objects.filter(
            user_id__in=user_ids, starts_on__lte=today, ends_on__gte=today
        ).values_list("user_id", flat=True)
    )


def _existing_owner(contact: Contact, available: set[int]) -> int | None:
    """The contact's owner, or an owner of its company's other contacts, if available here."""
    if contact.owner_id in available:
        return contact.owner_id
    if contact.company_id is None:
        return None
    return (
        Contact.objects.filter(company_id=contact.company_id, owner_id__in=available)
        .exclude(pk=contact.pk)
        .order_by("-updated_at")
        .values_list("owner_id", flat=True)
        .first()
    )


@transaction.atomic
def _assign_one(*, mql: Mql, team: Team | None, rule: RoutingRule | None, now) -> int | None:
    """Give the MQL to a rep of `team`; the rep's user id, or None when nobody could take it."""
    if team is None:
        _log_unassigned(
            mql, None, rule, now, "No routing rule matched and there is no fallback team."
        )
        return None
    mqls_lock(mql_ids=[mql.pk], team_ids=[team.pk])
    members = list(
        TeamMember.objects.select_for_update()
        .filter(team=team, role=MemberRole.REP, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    user_ids = [m.user_id for m in members]
    away = _away_user_ids(user_ids, now.astimezone(calendar_for(team).tz).date())
    open_counts = dict(
        Mql.objects.filter(owner_id__in=user_ids, status=MqlStatus.OPEN)
        .values_list("owner_id")
        .annotate(n=Count("pk"))
    )
    available = [
        m
        for m in members
        if m.user_id not in away
        and (m.max_open_mqls is None or open_counts.get(m.user_id, 0) < m.max_open_mqls)
    ]
    if not available:
        _log_unassigned(mql, team, rule, now, f"No rep of {team} is available.")
        return None
    by_user = {m.user_id: m for m in available}
    owner_id = _existing_owner(mql.contact, set(by_user))
    if owner_id is not None:
        member, how = by_user[owner_id], AssignedBy.EXISTING_OWNER
    else:
        member = min(available, key=lambda m: ((m.assigned_total + 1) / m.weight, m.pk))
        how = AssignedBy.RULE if rule else AssignedBy.FALLBACK
    claimed = Mql.objects.filter(pk=mql.pk, status=MqlStatus.OPEN, owner__isnull=True).update(
        team=team, owner=member.user, assigned_at=now
    )
    if claimed != 1:
        return None
    TeamMember.objects.filter(pk=member.pk).update(assigned_total=F("assigned_total") + 1)
    Contact.objects.filter(pk=mql.contact_id).update(owner=member.user)
    Assignment.objects.create(
        mql=mql,
        team=team,
        owner=member.user,
        previous_owner=None,
        how=how,
        rule=rule,
        rule_name=rule.name if rule else "",
        at=now,
    )
    _work_clocks_start(mql=mql, team=team, now=now)
    return member.user_id


def _work_clocks_start(*, mql: Mql, team: Team, now: datetime) -> None:
    """Assigned: the delivery clock stops, first-touch and decision clocks start."""
    clocks_stop(mql_ids=[mql.pk], kinds=[SlaKind.DELIVERY], now=now)
    policy = policy_for(team_id=team.pk, scoring_model_id=mql.scoring_model_id)
    calendar = calendar_for(team)
    SlaClock.objects.bulk_create(
        [
            _clock(mql=mql, kind=kind, policy=policy, start=now, calendar=calendar)
            for kind in (SlaKind.FIRST_TOUCH, SlaKind.DECISION)
        ],
        ignore_conflicts=True,
    )
    _next_due_refresh([mql.pk])


def _log_unassigned(mql: Mql, team: Team | None, rule: RoutingRule | None, now, note: str):
    """Record why nobody got the MQL (once per reason) and tell the team's managers."""
    last = mql.assignments.order_by("-at", "-pk").first()
    if last is not None and last.how == AssignedBy.NOBODY_AVAILABLE and last.note == note:
        return
    Assignment.objects.create(
        mql=mql,
        team=team,
        how=AssignedBy.NOBODY_AVAILABLE,
        rule=rule,
        rule_name=rule.name if rule else "",
        at=now,
        note=note,
    )
    notify(
        users=_team_managers(team.pk if team else None),
        message=f"MQL {mql.contact} is waiting: {note}",
        mql=mql,
        now=now,
    )


def mqls_reassign(
    *, mqls: list[Mql], owner: "User", by: "User", now: datetime | None = None, note: str = ""
) -> list[Mql]:
    """Give open MQLs to `owner` (an active rep of a team that `by` manages; admins: any team).

    Returns the MQLs that moved; one decided or reassigned meanwhile raises ConflictError and
    nothing moves.
    """
    now = now or timezone.now()
    teams = TeamMember.objects.filter(user=owner, role=MemberRole.REP, is_active=True)
    if not is_admin(by):
        teams = teams.filter(team__in=managed_team_ids(by))
    team_ids = list(teams.values_list("team_id", flat=True))
    if not team_ids:
        raise DomainError("Choose an active rep of a team you manage.", field="owner")
    return _reassign(mqls=mqls, owner=owner, by=by, team_ids=team_ids, now=now, note=note)


@retry_lock_conflicts
def _reassign(*, mqls: list[Mql], owner: "User", by: "User", team_ids, now, note) -> list[Mql]:
    moved = []
    with transaction.atomic():
        mqls_lock(mql_ids=[m.pk for m in mqls])
        for mql in mqls:  # all locked already, in the one order
            team_id = mql.team_id if mql.team_id in team_ids else team_ids[0]
            changed = Mql.objects.filter(
                pk=mql.pk, status=MqlStatus.OPEN, owner_id=mql.owner_id
            ).update(owner=owner, team_id=team_id, assigned_at=Coalesce(F("assigned_at"), now))
            if changed != 1:
                raise ConflictError(
                    f"MQL {mql.contact} was decided or reassigned meanwhile; nothing was moved.",
                    field="mqls",
                )
            if mql.owner_id is None:  # never assigned: its work clocks start now
                _work_clocks_start(mql=mql, team=Team.objects.get(pk=team_id), now=now)
            elif mql.team_id != team_id:  # another team's policy and calendar time it now
                clocks_retime(mql_ids=[mql.pk], reason=ClockChangeReason.TEAM_CHANGED, now=now)
            Assignment.objects.create(
                mql=mql,
                team_id=team_id,
                owner=owner,
                previous_owner_id=mql.owner_id,
                how=AssignedBy.REASSIGNED,
                by=by,
                at=now,
                note=note[:500],
            )
            Contact.objects.filter(pk=mql.contact_id).update(owner=owner)
            moved.append(mql)
        if moved:
            names = ", ".join(str(m.contact) for m in moved[:3])
            more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
            notify(
                users=[owner],
                message=f"{by} gave you {len(moved)} MQL(s): {names}{more}",
                mql=moved[0] if len(moved) == 1 else None,
                now=now,
            )
    return moved

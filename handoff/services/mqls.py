"""Writes of the handoff: opening MQLs, routing and assignment, touches, decisions, SLA clocks.

Every state change of an MQL is a conditional UPDATE on its status (and owner), so two people
acting at once, or a task run twice, change it exactly once; the loser gets a ConflictError.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from feedback.models import Decision, Disposition, Outcome, RejectReason
from handoff.business_time import BusinessCalendar
from handoff.models import (
    AssignedBy,
    Assignment,
    Breach,
    DurationUnit,
    MemberRole,
    Mql,
    MqlStatus,
    Notification,
    OutOfOffice,
    RoutingRule,
    SlaClock,
    SlaKind,
    SlaPolicy,
    Team,
    TeamMember,
    Touch,
)
from handoff.selectors import managed_team_ids
from leads.exceptions import ConflictError, DomainError
from leads.models import Company, Contact, LifecycleStage, StageChange
from leads.roles import is_admin
from leads.services import stage_change
from scoring.engine.dialect import Dialect
from scoring.engine.query import condition_sql
from scoring.models import ContactScore
from scoring.spec import segment_from_list

# --- SLA policies and clocks -------------------------------------------------------------------


def policy_for(*, team_id: int | None, scoring_model_id: int | None) -> SlaPolicy:
    """The most specific policy: team and model, then team, then model, then the default."""
    candidates = SlaPolicy.objects.filter(
        Q(team_id=team_id) | Q(team__isnull=True),
        Q(scoring_model_id=scoring_model_id) | Q(scoring_model__isnull=True),
    )
    best = max(
        candidates,
        key=lambda p: (p.team_id is not None, p.scoring_model_id is not None),
        default=None,
    )
    if best is None:
        raise DomainError("No SLA policy applies: create a default policy.", field="policy")
    return best


def calendar_for(team: Team | None) -> BusinessCalendar:
    if team is not None and team.calendar_id:
        return team.calendar.as_calendar()
    return BusinessCalendar.weekly(time_zone=settings.TIME_ZONE)


def clock_times(
    *, policy: SlaPolicy, kind: str, start: datetime, calendar: BusinessCalendar
) -> tuple[datetime, datetime]:
    """(at_risk_at, due_at) of a clock of `kind` started at `start`."""
    amount, unit = policy.target(kind)
    share = policy.at_risk_share
    if unit in (DurationUnit.MINUTES, DurationUnit.HOURS):
        span = (
            timedelta(minutes=amount) if unit == DurationUnit.MINUTES else timedelta(hours=amount)
        )
        return start + span * share, start + span
    if unit == DurationUnit.BUSINESS_HOURS:
        span = timedelta(hours=amount)
        return calendar.add(start, span * share), calendar.add(start, span)
    due = calendar.add_days(start, amount)
    return calendar.add(start, calendar.between(start, due) * share), due


def _clock(*, mql: Mql, kind: str, policy: SlaPolicy, start, calendar) -> SlaClock:
    at_risk, due = clock_times(policy=policy, kind=kind, start=start, calendar=calendar)
    return SlaClock(
        mql=mql, kind=kind, policy=policy, started_at=start, at_risk_at=at_risk, due_at=due
    )


def _clocks_stop(*, mql_id: int, kinds: Iterable[str], now: datetime) -> None:
    SlaClock.objects.filter(
        mql_id=mql_id, kind__in=list(kinds), stopped_at__isnull=True, breached_at__isnull=True
    ).update(stopped_at=now)
    _next_due_refresh([mql_id])


def _next_due_refresh(mql_ids: Iterable[int]) -> None:
    """Mql.next_due_at: the due time of its next running clock (the queue's order). Called by
    every service that starts or stops clocks, once they did."""
    running = (
        SlaClock.objects.filter(mql=OuterRef("pk"), stopped_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    Mql.objects.filter(pk__in=list(mql_ids)).update(next_due_at=Subquery(running))


# --- notifications -----------------------------------------------------------------------------


def _mql_url(mql_id: int) -> str:
    try:
        return reverse("handoff:mql", args=[mql_id])
    except NoReverseMatch:  # pages come with the queue
        return ""


def notify(*, users: Iterable, message: str, mql: Mql | None, now: datetime) -> None:
    """An in-app notification for each user, and an email once the transaction commits."""
    notify_many([(user, message, mql) for user in users], now=now, subject=message)


def notify_many(items: list[tuple], *, now: datetime, subject: str) -> None:
    """(user, message, mql or None) notifications in one bulk insert; after commit, one email
    per person listing their messages (at most 20 lines)."""
    seen, rows = set(), []
    for user, message, mql in items:
        key = (user.pk, message, mql.pk if mql else None) if user is not None else None
        if key is None or key in seen:
            continue
        seen.add(key)
        url = _mql_url(mql.pk) if mql else ""
        rows.append(
            Notification(user=user, message=message[:300], url=url, mql=mql, created_at=now)
        )
    Notification.objects.bulk_create(rows, batch_size=BATCH)
    by_email: dict[str, list[Notification]] = {}
    for row in rows:
        if row.user.email:
            by_email.setdefault(row.user.email, []).append(row)
    if by_email:
        transaction.on_commit(lambda: _emails_send(by_email, subject))


def _emails_send(by_email: dict[str, list[Notification]], subject: str) -> None:
    site = getattr(settings, "SITE_URL", "")
    for email, rows in by_email.items():
        lines = [f"{r.message}  {site}{r.url}".rstrip() for r in rows[:20]]
        if len(rows) > 20:
            lines.append(f"… and {len(rows) - 20} more in LeadBridge.")
        title = rows[0].message if len(rows) == 1 else f"{len(rows)} {subject}"
        send_mail(
            f"[LeadBridge] {title[:120]}", "\n".join(lines), None, [email], fail_silently=True
        )


def _team_managers(team_id: int | None) -> list:
    if team_id is None:
        return []
    members = TeamMember.objects.filter(team_id=team_id, role=MemberRole.MANAGER, is_active=True)
    return [m.user for m in members.select_related("user")]


# --- opening MQLs ------------------------------------------------------------------------------


def mqls_open(*, contact_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Open an MQL (with what qualified it and a delivery clock) for each contact that just
    became an MQL and has no open one; assignment is queued on commit. Safe to run twice."""
    from handoff import tasks  # tasks import this module

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
        Mql.objects.bulk_create(
            [_new_mql(c, scores.get(c), now) for c in ids if c not in open_already],
            ignore_conflicts=True,  # a concurrent run opened it first
        )
        fresh = list(
            Mql.objects.filter(contact_id__in=ids, status=MqlStatus.OPEN, owner__isnull=True)
            .exclude(clocks__kind=SlaKind.DELIVERY)
            .select_related("team")
        )
        calendar = calendar_for(None)
        policies = {
            model_id: policy_for(team_id=None, scoring_model_id=model_id)
            for model_id in {mql.scoring_model_id for mql in fresh}
        }
        SlaClock.objects.bulk_create(
            [
                _clock(
                    mql=mql,
                    kind=SlaKind.DELIVERY,
                    policy=policies[mql.scoring_model_id],
                    start=mql.qualified_at,
                    calendar=calendar,
                )
                for mql in fresh
            ],
            ignore_conflicts=True,
        )
        fresh_ids = [m.pk for m in fresh]
        _next_due_refresh(fresh_ids)
        if fresh_ids:
            transaction.on_commit(lambda: tasks.mqls_assign.delay(fresh_ids))
    return fresh_ids


def _new_mql(contact_id: int, score: ContactScore | None, now: datetime) -> Mql:
    mql = Mql(contact_id=contact_id, qualified_at=now)
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


def mqls_assign(*, mql_ids: Iterable[int], now: datetime | None = None) -> int:
    """Route and assign the given MQLs that are still open and unassigned; returns how many
    got an owner. Safe to run twice: an MQL is claimed with a conditional update."""
    now = now or timezone.now()
    mqls = list(
        Mql.objects.filter(pk__in=list(mql_ids), status=MqlStatus.OPEN, owner__isnull=True)
        .select_related("contact")
        .order_by("qualified_at", "pk")
    )
    assigned = 0
    for mql in mqls:  # the batch that just qualified, not all contacts
        team, rule = mqls_route(mqls=[mql])[mql.pk]
        assigned += _assign_one(mql=mql, team=team, rule=rule, now=now)
    return assigned


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
def _assign_one(*, mql: Mql, team: Team | None, rule: RoutingRule | None, now) -> int:
    if team is None:
        _log_unassigned(
            mql, None, rule, now, "No routing rule matched and there is no fallback team."
        )
        return 0
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
        return 0
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
        return 0
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
    notify(users=[member.user], message=f"New MQL for you: {mql.contact}", mql=mql, now=now)
    return 1


def _work_clocks_start(*, mql: Mql, team: Team, now: datetime) -> None:
    """Assigned: the delivery clock stops, first-touch and decision clocks start."""
    _clocks_stop(mql_id=mql.pk, kinds=[SlaKind.DELIVERY], now=now)
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
    *, mqls: list[Mql], owner, by, now: datetime | None = None, note: str = ""
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
    moved = []
    with transaction.atomic():
        for mql in mqls:
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


# --- acting on an MQL --------------------------------------------------------------------------


def mql_can_act(*, user, mql: Mql) -> bool:
    """The owner, a manager of its team, or an admin."""
    return (
        mql.owner_id == user.pk
        or is_admin(user)
        or (mql.team_id is not None and mql.team_id in managed_team_ids(user))
    )


def _require_open(mql: Mql, by) -> None:
    if not mql_can_act(user=by, mql=mql):
        raise DomainError("Only the owner or a manager of its team can act on this MQL.")
    if mql.status != MqlStatus.OPEN:
        raise ConflictError(f"This MQL is already {mql.get_status_display().lower()}.")


def mql_touch(*, mql: Mql, by, kind: str, note: str = "", now: datetime | None = None) -> Touch:
    """Log a call, email or meeting; the first one stops the first-touch clock."""
    from handoff.models import TouchKind

    now = now or timezone.now()
    if kind not in TouchKind.values:
        raise DomainError("Choose call, email or meeting.", field="kind")
    _require_open(mql, by)
    with transaction.atomic():
        touch = Touch.objects.create(mql=mql, kind=kind, note=note.strip()[:5000], by=by, at=now)
        first = Mql.objects.filter(pk=mql.pk, first_touch_at__isnull=True).update(
            first_touch_at=now
        )
        if first:
            _clocks_stop(mql_id=mql.pk, kinds=[SlaKind.FIRST_TOUCH], now=now)
    return touch


def mql_accept(*, mql: Mql, by, note: str = "", now: datetime | None = None) -> Decision:
    """The rep takes the lead: the contact becomes an SQL."""
    return _decide(mql=mql, by=by, outcome=Outcome.ACCEPT, comment=note, now=now)


def mql_reject(
    *,
    mql: Mql,
    by,
    reason: RejectReason | None,
    comment: str = "",
    disposition: str,
    now: datetime | None = None,
) -> Decision:
    """The rep turns the lead down with a reason; it goes back to nurture or is disqualified."""
    if reason is None or not reason.is_active:
        raise DomainError("Choose a reason from the list.", field="reason")
    if disposition not in Disposition.values:
        raise DomainError("Choose nurture or disqualified.", field="disposition")
    return _decide(
        mql=mql,
        by=by,
        outcome=Outcome.REJECT,
        reason=reason,
        comment=comment,
        disposition=disposition,
        now=now,
    )


def _decide(*, mql: Mql, by, outcome, comment, now, reason=None, disposition="") -> Decision:
    now = now or timezone.now()
    _require_open(mql, by)
    with transaction.atomic():
        # The contact first, as stage_change locks it: a stage change racing this decision
        # (which closes the MQL) waits for it, or wins and this one finds the MQL closed.
        Contact.objects.select_for_update().filter(pk=mql.contact_id).values_list("pk").get()
        won = Mql.objects.filter(pk=mql.pk, status=MqlStatus.OPEN, owner_id=mql.owner_id).update(
            status=MqlStatus.ACCEPTED if outcome == Outcome.ACCEPT else MqlStatus.REJECTED,
            decided_at=now,
        )
        if won != 1:
            current = Mql.objects.select_related("owner").get(pk=mql.pk)
            if current.status == MqlStatus.OPEN:
                raise ConflictError(f"This MQL was reassigned to {current.owner} meanwhile.")
            raise ConflictError(
                f"This MQL was {current.get_status_display().lower()} meanwhile by someone else."
            )
        contact = mql.contact
        decision = Decision.objects.create(
            mql=mql,
            outcome=outcome,
            reason=reason,
            comment=comment.strip()[:5000],
            disposition=disposition,
            by=by,
            decided_at=now,
            time_to_decision=now - mql.qualified_at,
            team_id=mql.team_id,
            source=contact.source,
            campaign=contact.campaign,
            scoring_model_id=mql.scoring_model_id,
            model_version_id=mql.model_version_id,
            rule_keys=[item["rule"] for item in mql.breakdown],
            snapshot={
                "fit": mql.fit,
                "engagement": mql.engagement,
                "total": mql.total,
                "grade": mql.grade,
                "breakdown": mql.breakdown,
            },
        )
        _clocks_stop(mql_id=mql.pk, kinds=SlaKind.values, now=now)
        to_stage = LifecycleStage.SQL if outcome == Outcome.ACCEPT else disposition
        why = "Accepted by sales" if outcome == Outcome.ACCEPT else f"Rejected: {reason.label}"
        stage_change(
            contact=contact,
            to_stage=to_stage,
            reason=f"{why}. {comment.strip()}".strip()[:1000],
            by=by,
            now=now,
        )
    mql.status, mql.decided_at = Mql.objects.values_list("status", "decided_at").get(pk=mql.pk)
    return decision


def mqls_close_outside_queue(*, changes: list[StageChange]) -> list[int]:
    """Contacts that left stage `mql` otherwise than by the queue's accept / reject (a stage
    change through the contact API or page, an admin moving one back, a bulk move): close
    their open MQLs, recording the stage change (who, why, where to); their SLA clocks stop,
    so they leave the queue and never breach; the owner is told. Called by
    leads.services.stage_change / stage_change_bulk, the one writer of stages, in the same
    transaction. After the queue's own decision the MQL is no longer open: nothing to do.
    Returns the ids of the MQLs closed. A contact that qualifies again gets a new MQL.
    """
    by_contact = {c.contact_id: c for c in changes if c.from_stage == LifecycleStage.MQL}
    if not by_contact:
        return []
    now = max(c.changed_at for c in by_contact.values())
    closing = list(
        Mql.objects.filter(contact_id__in=list(by_contact), status=MqlStatus.OPEN)
        .select_related("contact", "owner")
        .order_by("pk")
    )
    if not closing:
        return []
    Mql.objects.filter(pk__in=[m.pk for m in closing], status=MqlStatus.OPEN).update(
        status=MqlStatus.CLOSED,
        decided_at=now,
        closed_by_change_id=Case(
            *[When(contact_id=cid, then=Value(c.pk)) for cid, c in by_contact.items()]
        ),
    )
    ids = [m.pk for m in closing]
    SlaClock.objects.filter(
        mql_id__in=ids, stopped_at__isnull=True, breached_at__isnull=True
    ).update(stopped_at=now)
    _next_due_refresh(ids)
    notify_many(
        [
            (
                mql.owner,
                f"MQL {mql.contact} closed: {_close_reason(by_contact[mql.contact_id])}",
                mql,
            )
            for mql in closing
            if mql.owner is not None and mql.owner_id != by_contact[mql.contact_id].actor_user_id
        ],
        now=now,
        subject="MQLs closed outside the queue",
    )
    return ids


def _close_reason(change: StageChange) -> str:
    who = change.actor_user.get_username() if change.actor_user_id else change.actor_system
    return f"moved to {change.to_stage} by {who} ({change.reason})"


def breach_acknowledge(*, breach: Breach, by, note: str, now: datetime | None = None) -> Breach:
    """A manager or admin notes that they have seen a breach (once)."""
    note = (note or "").strip()
    if not note:
        raise DomainError("Say what was done about it.", field="note")
    now = now or timezone.now()
    done = Breach.objects.filter(pk=breach.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=now, acknowledgement=note[:2000]
    )
    if done != 1:
        raise ConflictError("This breach was acknowledged already.")
    breach.refresh_from_db()
    return breach


def routing_conditions_clean(rows) -> list[dict]:
    """Validate routing conditions as scoring segments are validated; errors name `conditions`."""
    try:
        conditions = segment_from_list(rows if rows is not None else [])
    except DomainError as error:
        field = (error.field or "conditions").replace("segment", "conditions", 1)
        raise DomainError(error.message, field=field) from None
    return [{"field": c.field, "operator": c.operator, "value": c.value} for c in conditions]


# --- breaches ----------------------------------------------------------------------------------


def breaches_record(*, now: datetime | None = None) -> int:
    """Record every clock that ran out by `now` as a Breach, exactly once, and tell the rep and
    the team's managers: one in-app notification and one email per person and scan, however
    many breaches it found. Returns how many breaches it recorded.

    On PostgreSQL one statement does the work: a conditional UPDATE claims the due clocks over
    the partial index of open clocks by due time (so a clock is claimed by one scan only, however
    many schedulers run: a concurrent scan waits on the row locks, then skips them), the breaches
    are inserted from its RETURNING rows, and from theirs come each recipient's count per kind
    and first lines. Then a few notification rows, and the emails on commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        recorded, summaries = _breaches_claim(now)
        Notification.objects.bulk_create(
            Notification(
                user_id=s.user_id,
                message=s.message[:300],
                url=s.url,
                mql_id=s.mql_id,
                created_at=now,
            )
            for s in summaries
        )
        emails = {s.email: s for s in summaries if s.email}
        if emails:
            transaction.on_commit(lambda: _breach_emails_send(emails))
    return recorded


@dataclass
class BreachSummary:
    """What one person hears about one scan: a count per clock kind and the first lines."""

    user_id: int
    email: str = ""
    kinds: dict[str, int] = field(default_factory=dict)
    lines: list[tuple[str, int]] = field(default_factory=list)  # (message, mql id)
    url: str = ""

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def mql_id(self) -> int | None:
        return self.lines[0][1] if self.total == 1 else None

    @property
    def message(self) -> str:
        if self.total == 1:
            return self.lines[0][0]
        kinds = ", ".join(
            f"{self.kinds[kind]} {kind.label.lower()}" for kind in SlaKind if kind in self.kinds
        )
        return f"{self.total} SLA breaches: {kinds}"


EMAIL_LINES = 20


def _breaches_claim(now: datetime) -> tuple[int, list[BreachSummary]]:
    """Mark the due open clocks breached at `now`, insert one Breach each; the number inserted
    and, per recipient, the summary of theirs."""
    at = connection.ops.adapt_datetimefield_value(now)
    clock, mql = SlaClock._meta.db_table, Mql._meta.db_table
    claim = (
        f"UPDATE {clock} SET breached_at = %s"
        " WHERE stopped_at IS NULL AND breached_at IS NULL AND due_at <= %s"
    )

    def insert(source: str) -> str:
        # (The WHERE also tells SQLite that ON CONFLICT is not part of the join.)
        return (
            f"INSERT INTO {Breach._meta.db_table} (clock_id, mql_id, policy_id, kind, team_id,"
            " owner_id, due_at, breached_at, acknowledgement)"
            " SELECT c.id, c.mql_id, c.policy_id, c.kind, m.team_id, m.owner_id, c.due_at, %s, ''"
            f" FROM {source} c JOIN {mql} m ON m.id = c.mql_id WHERE c.due_at <= %s"
            " ON CONFLICT (clock_id) DO NOTHING"
        )

    new_columns = "id, mql_id, kind, team_id, owner_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Sorting the recipients' lines in memory, and no JIT for a one-off plan.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                f"WITH claimed AS ({claim} RETURNING id, mql_id, policy_id, kind, due_at),"
                f" new AS ({insert('claimed')} RETURNING {new_columns}), " + _BREACH_SUMMARY_SQL,
                [at, at, at, at, MemberRole.MANAGER, EMAIL_LINES],
            )
        else:  # SQLite: the UPDATE holds the database's write lock until the commit
            cursor.execute(claim, [at, at])
            if not cursor.rowcount:
                return 0, []
            cursor.execute(insert(f"(SELECT * FROM {clock} WHERE breached_at = %s)"), [at, at, at])
            cursor.execute(
                f"WITH new AS (SELECT {new_columns} FROM {Breach._meta.db_table}"
                " WHERE breached_at = %s), " + _BREACH_SUMMARY_SQL,
                [at, MemberRole.MANAGER, EMAIL_LINES],
            )
        rows = cursor.fetchall()
    return _breach_summaries(rows, now)


# Over `new` (the breaches just recorded): one row with their number, then per recipient (the
# rep, and each active manager of the team) a row per kind with its count and a row for each of
# their first EMAIL_LINES breaches.
_BREACH_SUMMARY_SQL = f"""
    recipients AS (
        SELECT id, mql_id, kind, owner_id AS user_id FROM new WHERE owner_id IS NOT NULL
        UNION ALL
        SELECT n.id, n.mql_id, n.kind, tm.user_id FROM new n JOIN {TeamMember._meta.db_table} tm
          ON tm.team_id = n.team_id AND tm.role = %s AND tm.is_active
         AND (n.owner_id IS NULL OR tm.user_id <> n.owner_id)
    ),
    firsts AS (
        SELECT * FROM (
            SELECT r.*, row_number() OVER (PARTITION BY user_id ORDER BY id) AS nth
            FROM recipients r
        ) ranked WHERE nth <= %s
    )
    SELECT CAST(NULL AS INTEGER), CAST(NULL AS TEXT), count(*), CAST(NULL AS BIGINT),
           CAST(NULL AS TEXT) FROM new
    UNION ALL
    SELECT user_id, kind, count(*), NULL, NULL FROM recipients GROUP BY user_id, kind
    UNION ALL
    SELECT f.user_id, f.kind, NULL, f.mql_id,
           coalesce(nullif(trim(ct.first_name || ' ' || ct.last_name), ''), ct.email)
    FROM firsts f JOIN {Mql._meta.db_table} m ON m.id = f.mql_id
    JOIN {Contact._meta.db_table} ct ON ct.id = m.contact_id
"""


def _breach_summaries(rows: list[tuple], now: datetime) -> tuple[int, list[BreachSummary]]:
    recorded, by_user = 0, {}
    for user_id, kind, n, mql_id, who in rows:
        if user_id is None:
            recorded = n
            continue
        summary = by_user.setdefault(user_id, BreachSummary(user_id))
        if n is not None:
            summary.kinds[kind] = n
        else:
            summary.lines.append((f"SLA breached: {SlaKind(kind).label} for {who}", mql_id))
    emails = get_user_model().objects.filter(pk__in=list(by_user)).values_list("pk", "email")
    page = _breaches_url(now)
    for user_id, email in emails:
        summary = by_user[user_id]
        summary.lines.sort(key=lambda line: line[1])
        summary.email = email or ""
        summary.url = _mql_url(summary.lines[0][1]) if summary.total == 1 else page
    return recorded, list(by_user.values())


def _breaches_url(now: datetime) -> str:
    """The breaches page showing one scan's breaches (within what each reader may see)."""
    try:
        page = reverse("handoff:breaches")
    except NoReverseMatch:
        return ""
    return f"{page}?{urlencode({'breached_at': now.isoformat()})}"


def _breach_emails_send(summaries: dict[str, BreachSummary]) -> None:
    """After commit: one email per person, its first lines and the count of the rest."""
    site = getattr(settings, "SITE_URL", "")
    for email, s in summaries.items():
        lines = [f"{message}  {site}{_mql_url(mql_id)}".rstrip() for message, mql_id in s.lines]
        if s.total > len(s.lines):
            lines.append(f"… and {s.total - len(s.lines)} more: {site}{s.url}")
        title = s.lines[0][0] if s.total == 1 else f"{s.total} SLA breaches"
        send_mail(
            f"[LeadBridge] {title[:120]}", "\n".join(lines), None, [email], fail_silently=True
        )


BATCH = 5000


def mqls_unassigned_retry(*, now: datetime | None = None, limit: int = 500) -> int:
    """Assign MQLs that found nobody available earlier (a rep came back, a cap freed up)."""
    ids = list(
        Mql.objects.filter(team__isnull=True, status=MqlStatus.OPEN)
        .order_by("qualified_at")
        .values_list("pk", flat=True)[:limit]
    )
    return mqls_assign(mql_ids=ids, now=now) if ids else 0

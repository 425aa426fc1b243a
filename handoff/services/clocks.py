"""SLA policies and clocks: which policy applies, when a clock is at risk and due, starting
and stopping clocks (and keeping Mql.next_due_at, the queue's order, in step)."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from core.exceptions import DomainError
from handoff.business_time import BusinessCalendar
from handoff.models import (
    MAX_AMOUNT,
    MAX_SLA_DAYS,
    ClockChange,
    ClockChangeReason,
    DurationUnit,
    Mql,
    SlaClock,
    SlaPolicy,
    Team,
    WorkCalendar,
)

logger = logging.getLogger(__name__)


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
    """(at_risk_at, due_at) of a clock of `kind` started at `start`.

    A target beyond the bounds (a row stored before they existed, or forced in) is capped at
    365 days, and one the calendar cannot reach (a date past year 9999) falls back to 365 real
    days, both logged: a clock must never stop a contact from becoming an MQL.
    """
    amount, unit = policy.target(kind)
    limit = MAX_AMOUNT.get(unit, MAX_AMOUNT[DurationUnit.BUSINESS_DAYS])
    if amount > limit:
        logger.warning("SLA policy %s: %s target %s %s capped", policy.pk, kind, amount, unit)
        amount = limit
    try:
        return _clock_times(
            amount=amount, unit=unit, share=policy.at_risk_share, start=start, calendar=calendar
        )
    except OverflowError as error:
        logger.warning(
            "SLA policy %s: %s clock falls back to 365 days (%s)", policy.pk, kind, error
        )
        span = timedelta(days=MAX_SLA_DAYS)
        return start + span * policy.at_risk_share, start + span


def _clock_times(
    *, amount: int, unit: str, share: float, start: datetime, calendar: BusinessCalendar
) -> tuple[datetime, datetime]:
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


def clocks_stop(*, mql_ids: Iterable[int], kinds: Iterable[str], now: datetime) -> None:
    """Stop the running clocks of these kinds of these MQLs and refresh their Mql.next_due_at.
    A breached clock stays breached and is stopped too: when its step was done, late. The one
    stopper: touches, assignment, decisions and closing outside the queue all call it, for one
    MQL or many."""
    ids = list(mql_ids)
    SlaClock.objects.filter(mql_id__in=ids, kind__in=list(kinds), stopped_at__isnull=True).update(
        stopped_at=now
    )
    _next_due_refresh(ids)


def _next_due_refresh(mql_ids: Iterable[int]) -> None:
    """Mql.next_due_at: the due time of its next running clock (the queue's order). Called by
    every service that starts or stops clocks, once they did."""
    running = (
        SlaClock.objects.filter(mql=OuterRef("pk"), stopped_at__isnull=True)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    Mql.objects.filter(pk__in=list(mql_ids)).update(next_due_at=Subquery(running))


def _clock_team_id(mql: Mql) -> int | None:
    """The team whose policy and calendar time an MQL's clocks: its team once assigned, else
    the team its routing chose."""
    return mql.team_id or mql.routed_team_id


def clocks_retime(*, mql_ids: Iterable[int], reason: str, now: datetime) -> int:
    """Recompute the running clocks of these MQLs from their start, with the policy and
    calendar that apply now (team or routed team, scoring model), and record each moved due
    time as a ClockChange. One query for the clocks, one policy lookup and calendar per
    (team, model), one bulk update; returns how many due times moved."""
    ids = list(mql_ids)
    clocks = list(
        SlaClock.objects.filter(
            mql_id__in=ids, stopped_at__isnull=True, breached_at__isnull=True
        ).select_related("mql")
    )
    if not clocks:
        return 0
    teams = Team.objects.select_related("calendar").in_bulk(
        {_clock_team_id(c.mql) for c in clocks} - {None}
    )
    policies: dict[tuple, SlaPolicy] = {}
    calendars: dict[int | None, BusinessCalendar] = {}
    moved, changes = [], []
    for clock in clocks:
        team_id = _clock_team_id(clock.mql)
        key = (team_id, clock.mql.scoring_model_id)
        if key not in policies:
            policies[key] = policy_for(team_id=team_id, scoring_model_id=key[1])
        if team_id not in calendars:
            calendars[team_id] = calendar_for(teams.get(team_id))
        policy = policies[key]
        at_risk, due = clock_times(
            policy=policy, kind=clock.kind, start=clock.started_at, calendar=calendars[team_id]
        )
        if (policy.pk, at_risk, due) == (clock.policy_id, clock.at_risk_at, clock.due_at):
            continue
        if due != clock.due_at:
            changes.append(
                ClockChange(
                    mql_id=clock.mql_id,
                    kind=clock.kind,
                    old_due_at=clock.due_at,
                    new_due_at=due,
                    reason=reason,
                    at=now,
                )
            )
        if at_risk > now:
            clock.at_risk_notified_at = None  # not at risk any more: tell again when it is
        clock.policy, clock.at_risk_at, clock.due_at = policy, at_risk, due
        moved.append(clock)
    SlaClock.objects.bulk_update(moved, ["policy", "at_risk_at", "due_at", "at_risk_notified_at"])
    ClockChange.objects.bulk_create(changes)
    _next_due_refresh(ids)
    return len(changes)


def _open_mql_ids(condition: Q) -> list[int]:
    running = SlaClock.objects.filter(
        mql=OuterRef("pk"), stopped_at__isnull=True, breached_at__isnull=True
    )
    return list(Mql.objects.filter(condition, Exists(running)).values_list("pk", flat=True))


def _of_teams(team_ids: Iterable[int]) -> Q:
    ids = list(team_ids)
    return Q(team_id__in=ids) | Q(team__isnull=True, routed_team_id__in=ids)


def clocks_retime_for_calendar(*, calendar: WorkCalendar, now: datetime | None = None) -> int:
    """A calendar's days or hours changed: re-time the running clocks of its teams' MQLs."""
    team_ids = Team.objects.filter(calendar=calendar).values_list("pk", flat=True)
    return clocks_retime(
        mql_ids=_open_mql_ids(_of_teams(team_ids)),
        reason=ClockChangeReason.CALENDAR_CHANGED,
        now=now or timezone.now(),
    )


def clocks_retime_for_team(*, team: Team, now: datetime | None = None) -> int:
    """A team got another calendar: re-time the running clocks of its MQLs."""
    return clocks_retime(
        mql_ids=_open_mql_ids(_of_teams([team.pk])),
        reason=ClockChangeReason.CALENDAR_CHANGED,
        now=now or timezone.now(),
    )


def clocks_retime_for_policy(*, policy: SlaPolicy, now: datetime | None = None) -> int:
    """A policy was created or changed: re-time the running clocks it times, or may time now
    (MQLs within its scope)."""
    scope = Q(pk__isnull=False)  # the default policy: every MQL
    if policy.team_id is not None:
        scope &= _of_teams([policy.team_id])
    if policy.scoring_model_id is not None:
        scope &= Q(scoring_model_id=policy.scoring_model_id)
    timed = Exists(SlaClock.objects.filter(mql=OuterRef("pk"), policy=policy))
    return clocks_retime(
        mql_ids=_open_mql_ids(scope | Q(timed)),
        reason=ClockChangeReason.POLICY_CHANGED,
        now=now or timezone.now(),
    )

"""SLA policies and clocks: which policy applies, when a clock is at risk and due, starting
and stopping clocks (and keeping Mql.next_due_at, the queue's order, in step)."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery

from core.exceptions import DomainError
from handoff.business_time import BusinessCalendar
from handoff.models import (
    MAX_AMOUNT,
    MAX_SLA_DAYS,
    DurationUnit,
    Mql,
    SlaClock,
    SlaPolicy,
    Team,
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
    """Stop the running clocks of these kinds of these MQLs (a breached clock stays breached)
    and refresh their Mql.next_due_at. The one stopper: touches, assignment, decisions and
    closing outside the queue all call it, for one MQL or many."""
    ids = list(mql_ids)
    SlaClock.objects.filter(
        mql_id__in=ids, kind__in=list(kinds), stopped_at__isnull=True, breached_at__isnull=True
    ).update(stopped_at=now)
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

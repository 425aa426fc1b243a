"""Cohort metrics of the MQLs opened in a period: volume, lead → MQL, the funnel, conversion over time, speed to lead and time to a stage."""

import math
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
)
from django.db.models.functions import (
    Mod,
)

from handoff.models import MqlStatus, WorkCalendar
from insights.metrics.common import (
    BUSINESS_SAMPLE,
    bucket_starts,
    change,
    day_of,
    maturity,
    require_all,
    trunc,
)
from insights.metrics.definitions import DEFINITIONS
from insights.metrics.filters import MetricFilters
from insights.metrics.funnel import (
    DECIDED,
    after_opening,
    cohort,
    funnel_counts,
    funnel_rates,
    mqls,
    ratio,
    reached_at,
)
from insights.metrics.stats import percentiles, seconds
from leads.models import Contact

# --- volume -------------------------------------------------------------------------------------


def mql_volume(*, user, filters: MetricFilters, now: datetime) -> dict:
    """MQLs opened per bucket, with the change against the bucket before and the period total
    against the previous period of the same length."""
    starts = bucket_starts(filters)
    counted = dict(
        cohort(user=user, filters=filters)
        .annotate(bucket=trunc(filters.grain, "qualified_at"))
        .values_list("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    )
    counted = {day_of(k): v for k, v in counted.items()}
    series, previous = [], None
    for start in starts:
        n = counted.get(start, 0)
        series.append({"start": start.isoformat(), "mqls": n, "change": change(n, previous)})
        previous = n
    total = sum(counted.values())
    before = cohort(user=user, filters=filters.previous()).count()
    return {
        "total": total,
        "previous_total": before,
        "change": change(total, before),
        "grain": filters.grain,
        "series": series,
    }


def lead_to_mql(*, user, filters: MetricFilters, now: datetime) -> dict:
    require_all(user, "lead_to_mql")
    window = timedelta(days=90)
    contacts = Contact.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.channel:
        contacts = contacts.filter(source__iexact=filters.channel)
    if filters.campaign:
        contacts = contacts.filter(campaign__iexact=filters.campaign)
    became = Exists(
        mqls(user=user, filters=filters)
        .filter(
            contact_id=OuterRef("pk"),
            qualified_at__gte=OuterRef("created_at"),
        )
        .filter(qualified_at__lte=OuterRef("created_at") + window)
    )
    matured = Q(created_at__lte=now - window)
    row = contacts.aggregate(
        leads=Count("pk"),
        matured=Count("pk", filter=matured),
        became_mql=Count("pk", filter=matured & Q(became)),
    )
    row["rate"] = ratio(row["became_mql"], row["matured"])
    row["window_days"] = 90
    return row


# --- the funnel ---------------------------------------------------------------------------------


def funnel(*, user, filters: MetricFilters, now: datetime) -> dict:
    """The cohort's funnel within 30/60/90 days and to date, with the cohort's maturity."""
    counts = funnel_counts(cohort(user=user, filters=filters), now=now)
    return {"maturity": maturity(filters, now), "windows": funnel_rates(counts)}


def conversion_trend(*, user, filters: MetricFilters, now: datetime, days: int = 30) -> dict:
    """Per bucket of opening: acceptance and MQL → SQL within `days` among matured MQLs."""
    window = timedelta(days=days)
    rows = (
        cohort(user=user, filters=filters)
        .annotate(
            bucket=trunc(filters.grain, "qualified_at"),
            sql_after=after_opening(reached_at("sql")),
        )
        .values("bucket")
        .annotate(
            mqls=Count("pk"),
            matured=Count("pk", filter=Q(qualified_at__lte=now - window)),
            sql=Count("pk", filter=Q(qualified_at__lte=now - window, sql_after__lte=window)),
            decided=Count("pk", filter=Q(status__in=DECIDED)),
            accepted=Count("pk", filter=Q(status=MqlStatus.ACCEPTED)),
        )
        .order_by("bucket")
    )
    by_start = {day_of(r["bucket"]): r for r in rows}
    series = []
    for start in bucket_starts(filters):
        r = by_start.get(start, {"mqls": 0, "matured": 0, "sql": 0, "decided": 0, "accepted": 0})
        series.append(
            {
                "start": start.isoformat(),
                "mqls": r["mqls"],
                "matured": r["matured"],
                "sql": r["sql"],
                "mql_to_sql": ratio(r["sql"], r["matured"]),
                "decided": r["decided"],
                "accepted": r["accepted"],
                "acceptance_rate": ratio(r["accepted"], r["decided"]),
            }
        )
    bands = [
        {"label": b.label, "low": b.low, "high": b.high, "tone": b.tone}
        for b in DEFINITIONS["mql_to_sql"].bands
    ]
    return {"window_days": days, "grain": filters.grain, "series": series, "bands": bands}


# --- speed --------------------------------------------------------------------------------------


def _business_hours(qs) -> tuple[dict, int]:
    """Median and p90 business hours to first touch over an evenly spread sample of `qs`."""
    n = qs.count()
    if n > BUSINESS_SAMPLE:
        step = math.ceil(n / BUSINESS_SAMPLE)
        qs = qs.annotate(_slot=Mod("pk", step)).filter(_slot=0)
    rows = list(qs.values_list("qualified_at", "first_touch_at", "team__calendar_id"))
    calendars = {
        c.pk: c.as_calendar()
        for c in WorkCalendar.objects.filter(pk__in={cal for _, _, cal in rows if cal})
    }
    default = WorkCalendar().as_calendar()
    hours = sorted(
        (calendars.get(cal) or default).between(opened, touched).total_seconds()
        for opened, touched, cal in rows
    )
    if not hours:
        return {"median": None, "p90": None}, 0
    return {
        "median": round(_quantile(hours, 0.5), 1),
        "p90": round(_quantile(hours, 0.9), 1),
    }, len(hours)


def _quantile(values: list[float], fraction: float) -> float:
    rank = fraction * (len(values) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return values[low] + (values[high] - values[low]) * (rank - low)


def speed_to_lead(*, user, filters: MetricFilters, now: datetime) -> dict:
    qs = cohort(user=user, filters=filters)
    touched = qs.filter(first_touch_at__isnull=False)
    wall = percentiles(touched, after_opening(F("first_touch_at")))
    business, sampled = _business_hours(touched)
    counts = qs.aggregate(
        mqls=Count("pk"), touched=Count("pk", filter=Q(first_touch_at__isnull=False))
    )
    return {
        "mqls": counts["mqls"],
        "touched": counts["touched"],
        "untouched": counts["mqls"] - counts["touched"],
        "wall_seconds": {"median": seconds(wall[0.5]), "p90": seconds(wall[0.9])},
        "business_seconds": business,
        "business_sample": sampled,
        "maturity": maturity(filters, now),
    }


def _time_to(stage: str, *, user, filters: MetricFilters, now: datetime) -> dict:
    qs = cohort(user=user, filters=filters).annotate(_reached=reached_at(stage))
    reached = qs.filter(_reached__isnull=False)
    values = percentiles(reached, after_opening(F("_reached")))
    return {
        "reached": reached.count(),
        "median_seconds": seconds(values[0.5]),
        "p90_seconds": seconds(values[0.9]),
        "maturity": maturity(filters, now),
    }


def time_to_sql(*, user, filters: MetricFilters, now: datetime) -> dict:
    return _time_to("sql", user=user, filters=filters, now=now)


def time_to_won(*, user, filters: MetricFilters, now: datetime) -> dict:
    return _time_to("customer", user=user, filters=filters, now=now)

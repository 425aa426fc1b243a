"""What the sales dashboard shows: reject reasons, SLA compliance, breaches and queue ageing."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    Q,
)

from feedback.models import Decision, Outcome
from handoff.models import Breach, MqlStatus
from handoff.selectors import CLOCK_ENDED, clocks_ended
from insights.metrics.common import (
    bucket_starts,
    day_of,
    trunc,
)
from insights.metrics.filters import MetricFilters
from insights.metrics.funnel import (
    mqls,
    ratio,
)
from insights.metrics.scope import mql_scope

# --- sales --------------------------------------------------------------------------------------


def reject_reasons(*, user, filters: MetricFilters, now: datetime) -> dict:
    decisions = Decision.objects.filter(
        outcome=Outcome.REJECT, decided_at__gte=filters.start, decided_at__lt=filters.end
    ).filter(mql__in=mqls(user=user, filters=filters))
    rows = (
        decisions.annotate(bucket=trunc(filters.grain, "decided_at"))
        .values("bucket", "reason__label")
        .annotate(n=Count("pk"))
        .order_by("bucket", "reason__label")
    )
    reasons = sorted({r["reason__label"] for r in rows})
    by_start: dict[date, dict] = defaultdict(dict)
    for r in rows:
        by_start[day_of(r["bucket"])][r["reason__label"]] = r["n"]
    series = [
        {
            "start": s.isoformat(),
            "counts": {reason: by_start[s].get(reason, 0) for reason in reasons},
        }
        for s in bucket_starts(filters)
    ]
    return {"grain": filters.grain, "reasons": reasons, "series": series}


def _clock_filters(user, filters: MetricFilters) -> Q:
    q = Q()
    scope = mql_scope(user, prefix="mql__")
    if scope is not None:
        q &= scope
    if filters.model is not None:
        q &= Q(mql__scoring_model=filters.model)
    if filters.version is not None:
        q &= Q(mql__model_version=filters.version)
    if filters.team is not None:
        q &= Q(mql__team=filters.team)
    if filters.channel:
        q &= Q(mql__source__iexact=filters.channel)
    if filters.campaign:
        q &= Q(mql__campaign__iexact=filters.campaign)
    return q


def sla_compliance(*, user, filters: MetricFilters, now: datetime) -> dict:
    clocks = clocks_ended(filters.start, filters.end).filter(_clock_filters(user, filters))
    rows = (
        clocks.annotate(bucket=trunc(filters.grain, CLOCK_ENDED))
        .values("bucket")
        .annotate(clocks=Count("pk"), breached=Count("pk", filter=Q(breached_at__isnull=False)))
        .order_by("bucket")
    )
    by_start = {day_of(r["bucket"]): r for r in rows}
    series = []
    for start in bucket_starts(filters):
        r = by_start.get(start, {"clocks": 0, "breached": 0})
        met = r["clocks"] - r["breached"]
        series.append(
            {
                "start": start.isoformat(),
                "clocks": r["clocks"],
                "met": met,
                "breached": r["breached"],
                "compliance": ratio(met, r["clocks"]),
            }
        )
    return {"grain": filters.grain, "series": series}


def breaches(*, user, filters: MetricFilters, now: datetime) -> dict:
    q = _clock_filters(user, filters)
    rows = (
        Breach.objects.filter(
            breached_at__gte=filters.start, breached_at__lt=filters.end, waived_at__isnull=True
        )
        .filter(q)
        .annotate(bucket=trunc(filters.grain, "breached_at"))
        .values("bucket", "kind")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    )
    kinds = ["delivery", "first_touch", "decision"]
    by_start: dict[date, dict] = defaultdict(dict)
    for r in rows:
        by_start[day_of(r["bucket"])][r["kind"]] = r["n"]
    series = [
        {
            "start": s.isoformat(),
            "counts": {k: by_start[s].get(k, 0) for k in kinds},
            "total": sum(by_start[s].values()),
        }
        for s in bucket_starts(filters)
    ]
    return {"grain": filters.grain, "kinds": kinds, "series": series}


AGE_BUCKETS = [
    ("under_1_day", "Under 1 day", 0, 1),
    ("1_3_days", "1–3 days", 1, 3),
    ("3_7_days", "3–7 days", 3, 7),
    ("1_2_weeks", "1–2 weeks", 7, 14),
    ("over_2_weeks", "Over 2 weeks", 14, None),
]


def queue_ageing(*, user, filters: MetricFilters, now: datetime) -> dict:
    open_mqls = mqls(user=user, filters=filters).filter(status=MqlStatus.OPEN)
    aggregates = {}
    for key, _, low, high in AGE_BUCKETS:
        q = Q(qualified_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(qualified_at__gt=now - timedelta(days=high))
        aggregates[key] = Count("pk", filter=q)
    counts = open_mqls.aggregate(**aggregates)
    return {
        "buckets": [
            {"key": key, "label": label, "mqls": counts[key]} for key, label, _, _ in AGE_BUCKETS
        ],
        "open": sum(counts.values()),
    }

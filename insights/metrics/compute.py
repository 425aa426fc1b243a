"""Every metric as a function of (user, filters, now) returning plain data (what the API sends
and the pages draw). Each is a handful of aggregate statements; none loops over MQLs in Python
(the business-hours speed to lead reads a bounded sample, see speed_to_lead)."""

import math
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    Floor,
    Lower,
    Mod,
    TruncMonth,
    TruncWeek,
)
from rest_framework.exceptions import PermissionDenied

from feedback.models import Decision, Outcome
from handoff.models import Breach, Mql, MqlStatus, SlaClock, WorkCalendar
from insights.metrics.definitions import DEFINITIONS
from insights.metrics.filters import MetricFilters, day_start
from insights.metrics.funnel import (
    DECIDED,
    after_opening,
    cohort,
    funnel_counts,
    funnel_rates,
    mqls,
    ratio,
    reached_at,
    reached_to_date,
    won_deal_after_opening,
    won_deals,
)
from insights.metrics.scope import mql_scope, sees_all
from insights.metrics.stats import PercentileCont, percentiles, seconds
from insights.models import CampaignSpend, Deal, DealStage
from leads.models import Contact

BUSINESS_SAMPLE = 2000
WEEKS_PER_MONTH = 365.25 / 12 / 7  # 4.35
FORECAST_WEEKS = 12


def require_all(user, key: str) -> None:
    if not sees_all(user):
        raise PermissionDenied(f"{DEFINITIONS[key].label} is for marketing and admins.")


def money(value) -> float:
    return float(value or 0)


# --- buckets ------------------------------------------------------------------------------------


def bucket_starts(filters: MetricFilters) -> list[date]:
    """The weeks (Mondays) or months (first days) the period touches, in order."""
    first = filters.start.date()
    last = (filters.end - timedelta(microseconds=1)).date()
    out = []
    if filters.grain == "month":
        current = first.replace(day=1)
        while current <= last:
            out.append(current)
            current = (current + timedelta(days=32)).replace(day=1)
    else:
        current = first - timedelta(days=first.weekday())
        while current <= last:
            out.append(current)
            current += timedelta(weeks=1)
    return out


def trunc(grain: str, field: str):
    return (TruncMonth if grain == "month" else TruncWeek)(field, tzinfo=UTC)


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def change(current, previous) -> float | None:
    """Relative change (0.25 is +25%); None when there is nothing to compare with."""
    if not previous:
        return None
    return round((current - previous) / previous, 4)


def maturity(filters: MetricFilters, now: datetime) -> dict:
    """How long the cohort has had: the age of its youngest and oldest possible MQL."""
    end = min(filters.end, now)
    return {
        "oldest_days": max((now - filters.start).days, 0),
        "youngest_days": max((now - end).days, 0),
    }


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
    counted = {_day(k): v for k, v in counted.items()}
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
    by_start = {_day(r["bucket"]): r for r in rows}
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


# --- revenue ------------------------------------------------------------------------------------


def _mql_sourced(mql_qs) -> Exists:
    return Exists(
        mql_qs.filter(contact_id=OuterRef("contact_id"), qualified_at__lt=OuterRef("created_at"))
    )


def revenue(*, user, filters: MetricFilters, now: datetime) -> dict:
    """Pipeline created, revenue won, revenue per MQL, and the win rates by deal origin."""
    sourced = _mql_sourced(mqls(user=user, filters=filters))
    in_period = Q(created_at__gte=filters.start, created_at__lt=filters.end)
    closed_in_period = Q(closed_at__gte=filters.start, closed_at__lt=filters.end)
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))
    created = Deal.objects.filter(in_period).filter(sourced)
    pipeline = created.aggregate(n=Count("pk"), amount=Coalesce(Sum("amount"), zero))
    won = (
        Deal.objects.filter(closed_in_period, stage=DealStage.WON)
        .filter(sourced)
        .aggregate(n=Count("pk"), amount=Coalesce(Sum("amount"), zero))
    )
    the_cohort = cohort(user=user, filters=filters)
    cohort_won = (
        Deal.objects.filter(stage=DealStage.WON)
        .filter(
            Exists(
                the_cohort.filter(
                    contact_id=OuterRef("contact_id"), qualified_at__lte=OuterRef("created_at")
                )
            )
        )
        .aggregate(amount=Coalesce(Sum("amount"), zero))
    )
    cohort_size = the_cohort.count()
    closed = Deal.objects.filter(closed_in_period, stage__in=[DealStage.WON, DealStage.LOST])
    rates = closed.filter(sourced).aggregate(
        closed=Count("pk"), won=Count("pk", filter=Q(stage=DealStage.WON))
    )
    out = {
        "pipeline_created": {"deals": pipeline["n"], "amount": money(pipeline["amount"])},
        "revenue_won": {"deals": won["n"], "amount": money(won["amount"])},
        "revenue_per_mql": {
            "mqls": cohort_size,
            "revenue": money(cohort_won["amount"]),
            "per_mql": round(money(cohort_won["amount"]) / cohort_size, 2) if cohort_size else None,
            "maturity": maturity(filters, now),
        },
        "win_rate": {
            "mql_sourced": {**rates, "rate": ratio(rates["won"], rates["closed"])},
            "never_mql": None,
        },
    }
    if sees_all(user):
        never = closed.exclude(_mql_sourced(Mql.objects.all())).aggregate(
            closed=Count("pk"), won=Count("pk", filter=Q(stage=DealStage.WON))
        )
        out["win_rate"]["never_mql"] = {**never, "rate": ratio(never["won"], never["closed"])}
    return out


# --- cost ---------------------------------------------------------------------------------------


def month_range(filters: MetricFilters) -> tuple[date, date]:
    """The first day of the period's first month and of the month after its last."""
    first = filters.start.date().replace(day=1)
    last = (filters.end - timedelta(microseconds=1)).date()
    return first, (last.replace(day=1) + timedelta(days=32)).replace(day=1)


def cost(*, user, filters: MetricFilters, now: datetime) -> dict:
    """Cost per MQL, SQL and won deal per channel and campaign (whole months)."""
    require_all(user, "cost")
    first, after = month_range(filters)
    months = filters.shifted(start=day_start(first), end=day_start(after))
    counted = (
        cohort(user=user, filters=months, team_and_model=False)
        .annotate(channel_key=Lower("source"), campaign_key=Lower("campaign"))
        .values("channel_key", "campaign_key")
        .annotate(
            mqls=Count("pk"),
            sqls=Count("pk", filter=reached_to_date("sql")),
            won=Count("pk", filter=won_deal_after_opening()),
        )
        .order_by()
    )
    spend_qs = CampaignSpend.objects.filter(month__gte=first, month__lt=after)
    if filters.channel:
        spend_qs = spend_qs.filter(channel__iexact=filters.channel)
    if filters.campaign:
        spend_qs = spend_qs.filter(campaign__iexact=filters.campaign)
    spend = (
        spend_qs.annotate(channel_key=Lower("channel"), campaign_key=Lower("campaign"))
        .values("channel_key", "campaign_key")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    rows: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"spend": 0.0, "mqls": 0, "sqls": 0, "won": 0}
    )
    for r in counted:
        row = rows[(r["channel_key"], r["campaign_key"])]
        row.update(mqls=r["mqls"], sqls=r["sqls"], won=r["won"])
    for r in spend:
        rows[(r["channel_key"], r["campaign_key"])]["spend"] = money(r["amount"])

    def with_costs(key: dict, r: dict) -> dict:
        per = {
            f"cost_per_{name}": round(r["spend"] / r[count], 2) if r[count] else None
            for name, count in (("mql", "mqls"), ("sql", "sqls"), ("won_deal", "won"))
        }
        return {**key, **r, **per}

    by_campaign = [
        with_costs({"channel": channel, "campaign": campaign}, r)
        for (channel, campaign), r in sorted(rows.items())
    ]
    channels: dict[str, dict] = defaultdict(lambda: {"spend": 0.0, "mqls": 0, "sqls": 0, "won": 0})
    for (channel, _), r in rows.items():
        for k in ("spend", "mqls", "sqls", "won"):
            channels[channel][k] += r[k]
    by_channel = [with_costs({"channel": c}, r) for c, r in sorted(channels.items())]
    return {
        "months": {"first": first.isoformat(), "last": (after - timedelta(days=1)).isoformat()},
        "by_channel": by_channel,
        "by_campaign": by_campaign,
    }


# --- breakdowns ---------------------------------------------------------------------------------

BREAKDOWNS = {
    "channel": "Channel",
    "campaign": "Campaign",
    "model": "Scoring model (segment)",
    "version": "Model version",
    "grade": "Grade",
    "score_band": "Score band",
    "team": "Team",
    "rep": "Rep",
}
SCORE_BAND = 20


def _group_expression(by: str):
    none = Value("(none)")
    return {
        "channel": Coalesce(Lower("source"), none),
        "campaign": Coalesce(Lower("campaign"), none),
        "model": Coalesce("scoring_model__name", none),
        "version": Case(
            When(
                model_version__isnull=False,
                then=Concat(
                    "model_version__model__name",
                    Value(" v"),
                    Cast("model_version__number", CharField()),
                ),
            ),
            default=none,
        ),
        "grade": Coalesce("grade", none),
        "score_band": Case(
            When(total__isnull=True, then=Value(-1)),
            default=Cast(Floor(F("total") / SCORE_BAND) * SCORE_BAND, IntegerField()),
            output_field=IntegerField(),
        ),
        "team": Coalesce("team__name", Value("(no team)")),
        "rep": Coalesce("owner__username", Value("(unassigned)")),
    }[by]


def breakdown(*, user, filters: MetricFilters, now: datetime, by: str) -> dict:
    if by not in BREAKDOWNS:
        raise ValueError(by)
    won_revenue = Subquery(
        won_deals().values("contact_id").annotate(s=Sum("amount")).values("s"),
        output_field=FloatField(),
    )
    rows = (
        cohort(user=user, filters=filters)
        .annotate(group=_group_expression(by))
        .values("group")
        .annotate(
            mqls=Count("pk"),
            decided=Count("pk", filter=Q(status__in=DECIDED)),
            accepted=Count("pk", filter=Q(status=MqlStatus.ACCEPTED)),
            sql=Count("pk", filter=reached_to_date("sql")),
            won=Count("pk", filter=won_deal_after_opening()),
            revenue=Coalesce(Sum(won_revenue), Value(0.0)),
            touched=Count("pk", filter=Q(first_touch_at__isnull=False)),
        )
        .order_by("-mqls", "group")
    )
    out = []
    for r in rows:
        group = r["group"] if r["group"] != "" else "(none)"
        if by == "score_band":
            group = "(none)" if group == -1 else f"{group}–{group + SCORE_BAND - 1}"
        out.append(
            {
                "group": group,
                "mqls": r["mqls"],
                "decided": r["decided"],
                "accepted": r["accepted"],
                "acceptance_rate": ratio(r["accepted"], r["decided"]),
                "sql": r["sql"],
                "mql_to_sql": ratio(r["sql"], r["mqls"]),
                "won": r["won"],
                "revenue": round(float(r["revenue"] or 0), 2),
                "revenue_per_mql": round(float(r["revenue"] or 0) / r["mqls"], 2),
            }
        )
    if by in ("rep", "team"):
        _add_speed(out, user=user, filters=filters, by=by)
    return {"by": by, "label": BREAKDOWNS[by], "rows": out}


def _add_speed(rows: list[dict], *, user, filters: MetricFilters, by: str) -> None:
    """Median wall-clock speed to lead per rep or team: one grouped percentile_cont on
    PostgreSQL; elsewhere one percentile per group (there are few groups)."""
    touched = cohort(user=user, filters=filters).filter(first_touch_at__isnull=False)
    speed = after_opening(F("first_touch_at"))
    if connection.vendor == "postgresql":
        medians = dict(
            touched.annotate(group=_group_expression(by), _speed=speed)
            .values("group")
            .annotate(median=PercentileCont("_speed", 0.5, output_field=DurationField()))
            .values_list("group", "median")
        )
        for row in rows:
            row["speed_median_seconds"] = seconds(medians.get(row["group"]))
        return
    for row in rows:
        group = row["group"]
        qs = touched.annotate(group=_group_expression(by)).filter(group=group)
        row["speed_median_seconds"] = seconds(percentiles(qs, speed, (0.5,))[0.5])


# --- capacity and forecast ----------------------------------------------------------------------


def forecast(*, user, filters: MetricFilters, now: datetime) -> dict:
    """Next month's MQLs from the last 12 complete weeks: mean × 4.35 ± 1.96 σ √4.35."""
    this_monday = now.date() - timedelta(days=now.weekday())
    first = this_monday - timedelta(weeks=FORECAST_WEEKS)
    window = filters.shifted(start=day_start(first), end=day_start(this_monday))
    window = MetricFilters(**{**window.__dict__, "grain": "week"})
    weekly = [p["mqls"] for p in mql_volume(user=user, filters=window, now=now)["series"]]
    mean = statistics.fmean(weekly)
    sd = statistics.stdev(weekly) if len(weekly) > 1 else 0.0
    xs = range(len(weekly))
    x_mean = statistics.fmean(xs)
    slope = sum((x - x_mean) * (y - mean) for x, y in zip(xs, weekly, strict=True)) / sum(
        (x - x_mean) ** 2 for x in xs
    )
    expected = mean * WEEKS_PER_MONTH
    spread = 1.96 * sd * math.sqrt(WEEKS_PER_MONTH)
    return {
        "weeks": [
            {"start": (first + timedelta(weeks=i)).isoformat(), "mqls": n}
            for i, n in enumerate(weekly)
        ],
        "weekly_mean": round(mean, 2),
        "weekly_sd": round(sd, 2),
        "trend_per_week": round(slope, 2),
        "expected": round(expected),
        "low": max(round(expected - spread), 0),
        "high": round(expected + spread),
        "method": DEFINITIONS["forecast"].definition,
    }


def capacity(
    *,
    user,
    filters: MetricFilters,
    now: datetime,
    aes: int,
    sqls_per_ae: float,
    rate: float | None = None,
    measured: float | None = None,
    predicted: dict | None = None,
) -> dict:
    """MQLs needed per month = AEs × SQLs each needs per month ÷ MQL → SQL rate (the cohort's
    30-day rate unless given; `measured` and `predicted` spare a page computing them twice)."""
    if measured is None:
        measured = funnel(user=user, filters=filters, now=now)["windows"]["30"]["mql_to_sql"]
    used = rate if rate is not None else measured
    needed = math.ceil(aes * sqls_per_ae / used) if used else None
    months = max((filters.end - filters.start).days, 1) / (365.25 / 12)
    actual = cohort(user=user, filters=filters).count() / months
    predicted = predicted or forecast(user=user, filters=filters, now=now)
    return {
        "aes": aes,
        "sqls_per_ae": sqls_per_ae,
        "rate": used,
        "measured_rate": measured,
        "mqls_needed": needed,
        "actual_per_month": round(actual, 1),
        "forecast_next_month": predicted["expected"],
        "forecast_range": [predicted["low"], predicted["high"]],
        "gap": None if needed is None else round(actual - needed, 1),
        "shortfall": None if needed is None else max(round(needed - actual, 1), 0),
    }


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
        by_start[_day(r["bucket"])][r["reason__label"]] = r["n"]
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
    clocks = (
        SlaClock.objects.filter(
            Q(stopped_at__gte=filters.start, stopped_at__lt=filters.end)
            | Q(breached_at__gte=filters.start, breached_at__lt=filters.end)
        )
        .exclude(breach__waived_at__isnull=False)
        .filter(_clock_filters(user, filters))
    )
    rows = (
        clocks.annotate(bucket=trunc(filters.grain, Coalesce("breached_at", "stopped_at")))
        .values("bucket")
        .annotate(clocks=Count("pk"), breached=Count("pk", filter=Q(breached_at__isnull=False)))
        .order_by("bucket")
    )
    by_start = {_day(r["bucket"]): r for r in rows}
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
        by_start[_day(r["bucket"])][r["kind"]] = r["n"]
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

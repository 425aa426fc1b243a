"""Next month's MQL forecast and the capacity calculator."""

import math
import statistics
from datetime import datetime, timedelta

from insights.metrics.cohorts import funnel, mql_volume
from insights.metrics.common import (
    FORECAST_WEEKS,
    WEEKS_PER_MONTH,
)
from insights.metrics.definitions import DEFINITIONS
from insights.metrics.filters import MetricFilters, day_start
from insights.metrics.funnel import (
    cohort,
)

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

"""Shared pieces of the metrics: buckets of a period, changes, cohort maturity, who may see what."""

from datetime import UTC, date, datetime, timedelta

from django.db.models.functions import (
    TruncMonth,
    TruncWeek,
)
from rest_framework.exceptions import PermissionDenied

from insights.metrics.definitions import DEFINITIONS
from insights.metrics.filters import MetricFilters
from insights.metrics.scope import sees_all

BUSINESS_SAMPLE = 500
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


def day_of(value) -> date:
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

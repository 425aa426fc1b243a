"""Small formatting filters of the insights pages, and the shared words for an MQL's outcome."""

from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime

from insights.metrics.definitions import OUTCOMES

register = template.Library()


@register.filter
def pct(value) -> str:
    """A rate (0–1) as a whole percentage, or — when there is none."""
    if value is None or value == "":
        return "—"
    return f"{float(value):.0%}"


@register.filter
def isodate(value) -> datetime | None:
    """An ISO 8601 text (stored in a JSON result) as a datetime for the date filter."""
    if isinstance(value, datetime):
        return value
    return parse_datetime(value) if isinstance(value, str) else None


@register.simple_tag
def outcome(key: str) -> str:
    """What "reached SQL" or "won" means for an MQL (insights.metrics.definitions.OUTCOMES)."""
    return OUTCOMES[key]

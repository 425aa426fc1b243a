from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def time_left(delta: timedelta | None) -> str:
    """3d 4h left · 2h 5m left · 40m overdue."""
    if delta is None:
        return "no running clock"
    seconds = int(delta.total_seconds())
    word = "left" if seconds >= 0 else "overdue"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days}d {hours}h"
    elif hours:
        text = f"{hours}h {minutes}m"
    else:
        text = f"{minutes}m"
    return f"{text} {word}"


STATE_LABELS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "breached": "Breached",
    "none": "No clock",
}


@register.filter
def sla_label(state: str) -> str:
    return STATE_LABELS.get(state, state)

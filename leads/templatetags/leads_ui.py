"""Small presentation helpers for the leads pages."""

from django import template

from leads.models import EventType

register = template.Library()

EVENT_LABELS = dict(EventType.choices)


@register.filter
def event_label(value: str) -> str:
    return EVENT_LABELS.get(value, value)

"""Presentation helpers every page uses: role names, people, durations and phone links."""

from datetime import timedelta

from django import template

from core.people import display_name

register = template.Library()

ROLE_LABELS = {
    "marketing": "Marketing",
    "sales_rep": "Sales rep",
    "sales_manager": "Sales manager",
    "admin": "Admin",
}


@register.filter
def role_labels(roles) -> str:
    return ", ".join(sorted(ROLE_LABELS.get(r, r) for r in roles))


@register.filter
def duration(value: timedelta | None) -> str:
    """A stay in a stage, roughly: '3 d 4 h', '5 h 12 min', '40 s'."""
    if value is None:
        return ""
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"


@register.filter
def tel_href(phone: str) -> str:
    """A phone number as written ("+49 30 1234-567", "(555) 010 2030") as a `tel:` link's target:
    its digits, with the leading + of an international number."""
    phone = (phone or "").strip()
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"tel:+{digits}" if phone.startswith("+") else f"tel:{digits}"


@register.filter
def person(user) -> str:
    """A person as the pages name them (core.people.display_name)."""
    return display_name(user)

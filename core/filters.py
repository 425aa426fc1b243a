"""The one date-and-time input of every filter and query parameter: ISO 8601, turned into UTC.

Python accepts UTC offsets up to ±23:59 (`2026-03-01T12:00+17:05`), PostgreSQL only up to
±15:59, and a time near year 1 or 9999 can leave Python's range once moved to UTC. Converting at
the edge, once, means the database only ever sees UTC, and a value that cannot be one is a 400
naming its parameter.
"""

from datetime import UTC, datetime

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError as ApiValidationError

OUT_OF_RANGE = "This date and time is out of range once converted to UTC."


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time (a naive one is in the current time zone), cleaned to UTC."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(OUT_OF_RANGE, code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def utc_datetime(value: str | None, *, field: str) -> datetime | None:
    """A query parameter outside a filter set: None when absent, else UTC or a 400 naming it."""
    if value in (None, ""):
        return None
    try:
        return UtcDateTimeField().clean(value)
    except forms.ValidationError as exc:
        raise ApiValidationError({field: exc.messages}) from None

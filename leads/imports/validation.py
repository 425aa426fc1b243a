"""Validation of incoming events, the rules of POST /api/v1/events/ and of the events file import.

event_validate checks one item in plain Python (no serializer instance per item) and returns the
typed EventItem or the errors by field, worded as the API answers them. The file import's
PostgreSQL fast path (leads.imports.events_sql) recognises a conservative subset of what this
accepts; the tests hold the two to the same verdicts. email_parse is also the contacts CSV
import's email rule.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.text import json_text_problem, text_problem
from leads.models import ActivityEvent, Contact, EventType

FUTURE_TOLERANCE = timedelta(minutes=5)
# Marketing activity before this is a wrong date, not history (0001-01-01 from an empty field).
EARLIEST_EVENT = datetime(1990, 1, 1, tzinfo=UTC)
EVENT_TYPES = frozenset(EventType.values)
SOURCE_MAX = ActivityEvent._meta.get_field("source").max_length
EXTERNAL_ID_MAX = ActivityEvent._meta.get_field("external_id").max_length
EMAIL_MAX = Contact._meta.get_field("email").max_length
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(slots=True)
class EventItem:
    """A valid item, typed; `index` is its place in the batch."""

    index: int
    event_type: str
    occurred_at: datetime
    properties: dict
    properties_json: str
    source: str
    external_id: str
    contact_id: int | None
    email: str | None

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.source, self.external_id) if self.external_id else None


def event_validate(
    index: int, raw: Any, *, now: datetime, tz=None
) -> tuple[EventItem | None, dict[str, list[str]]]:
    """One item of a batch: (EventItem, {}) when valid, else (None, errors by field).

    A date-time without offset is read in `tz` (default: the current time zone).
    """
    tz = tz or timezone.get_current_timezone()
    if not isinstance(raw, dict):
        return None, {"non_field_errors": ["Expected a JSON object."]}
    errors: dict[str, list[str]] = {}

    event_type = raw.get("event_type")
    if event_type is None:
        errors["event_type"] = ["This field is required."]
    elif not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        errors["event_type"] = [f"Unknown event type; use one of: {', '.join(EventType.values)}."]

    occurred_at = _parse_datetime(raw.get("occurred_at"), errors, tz)
    if occurred_at is not None and occurred_at > now + FUTURE_TOLERANCE:
        errors["occurred_at"] = ["Is more than 5 minutes in the future."]
    elif occurred_at is not None and occurred_at < EARLIEST_EVENT:
        errors["occurred_at"] = [
            f"Is before {EARLIEST_EVENT:%Y-%m-%d}, the earliest date accepted."
        ]

    properties = raw.get("properties", {})
    properties_json = ""
    if not isinstance(properties, dict):
        errors["properties"] = ["Expected a JSON object."]
    else:
        properties_json = json.dumps(properties)
        if problem := json_text_problem(properties):
            errors["properties"] = [problem]

    source = _optional_str(raw, "source", SOURCE_MAX, errors)
    external_id = _optional_str(raw, "external_id", EXTERNAL_ID_MAX, errors)

    contact_id, email = raw.get("contact"), raw.get("email")
    if contact_id is not None and email is not None:
        errors["contact"] = ["Give either contact (an id) or email, not both."]
    elif contact_id is None and email is None:
        errors["contact"] = ["Name the contact by contact (an id) or by email."]
    elif contact_id is not None:
        contact_id = _parse_id(contact_id)
        if contact_id is None:
            errors["contact"] = ["Expected a contact id (a positive integer)."]
    else:
        email = email_parse(email)
        if email is None:
            errors["email"] = ["Enter a valid email address."]

    if errors:
        return None, errors
    return EventItem(
        index=index,
        event_type=event_type,
        occurred_at=occurred_at,
        properties=properties,
        properties_json=properties_json,
        source=source,
        external_id=external_id,
        contact_id=contact_id,
        email=email,
    ), {}


def _parse_datetime(value: Any, errors: dict, tz) -> datetime | None:
    if value is None:
        errors["occurred_at"] = ["This field is required."]
        return None
    parsed = None
    if isinstance(value, str) and not _DATE_ONLY.match(value.strip()):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
    if parsed is None:
        errors["occurred_at"] = ["Expected an ISO 8601 date and time, e.g. 2025-03-01T12:00:00Z."]
        return None
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, tz)
        return parsed.astimezone(tz)
    except (OverflowError, ValueError):
        errors["occurred_at"] = ["Out of range."]
        return None


def _optional_str(raw: dict, field: str, max_length: int, errors: dict) -> str:
    value = raw.get(field, "")
    if not isinstance(value, str):
        errors[field] = ["Expected a string."]
        return ""
    value = value.strip()
    if problem := text_problem(value):
        errors[field] = [problem]
    elif len(value) > max_length:
        errors[field] = [f"Ensure this field has no more than {max_length} characters."]
    return value


def _parse_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and 0 < value < 2**63:
        return value
    return None


def email_parse(value: Any) -> str | None:
    """The address in lower case, or None when it is not a valid email address."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if len(value) > EMAIL_MAX or "\x00" in value:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value

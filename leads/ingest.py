"""Set-based ingestion of activity events (POST /api/v1/events/).

A batch of up to MAX_BATCH events costs a fixed handful of queries, not a few per event:

1. every item is validated in plain Python (no serializer instance per item);
2. one query finds events already stored under the same (source, external_id): those items are
   "duplicate" and nothing is written for them;
3. one query resolves contact ids (limited to the contacts the user may see), one resolves
   emails; an unknown email gets a new contact in stage lead, created with its first
   StageChange row by two bulk INSERTs (the same rows contact_create writes one by one);
4. one INSERT ... ON CONFLICT (source, external_id) DO NOTHING RETURNING stores the events; an
   event that a concurrent request stored first comes back as "duplicate", never as an error;
5. the contacts that got new events are queued for an incremental rescore on commit
   (deduplicated, see scoring.rescore.queue); file imports (by=None) leave them to the scheduled
   rescore.

On PostgreSQL the lists travel as a few array parameters (unnest) instead of thousands of
placeholders: psycopg's client-side query building was a third of the time of a batch.

All of it runs in one transaction: a rejected item writes nothing, valid items are stored.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leads import hooks
from leads.models import ActivityEvent, Contact, EventType, LifecycleStage
from leads.selectors import contacts_for_user
from leads.services import first_stage_changes_create

MAX_BATCH = 1000
FUTURE_TOLERANCE = timedelta(minutes=5)
EVENT_TYPES = frozenset(EventType.values)
NEW_CONTACT_REASON = "Created from an activity event"
IMPORT_ACTOR = "import"  # StageChange.actor_system when the file import (by=None) creates contacts

_SOURCE_MAX = ActivityEvent._meta.get_field("source").max_length
_EXTERNAL_ID_MAX = ActivityEvent._meta.get_field("external_id").max_length
_EMAIL_MAX = Contact._meta.get_field("email").max_length
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # PostgreSQL's jsonb refuses \u0000

CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"


@dataclass(slots=True)
class EventOutcome:
    """What happened to one item: created / duplicate (with the stored event) or rejected."""

    status: str
    event: dict | None = None
    errors: dict[str, list[str]] | None = None


@dataclass(slots=True)
class _Item:
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


def events_ingest(*, items: list[Any], by, now: datetime | None = None) -> list[EventOutcome]:
    """Store a batch of events for user `by`; one outcome per item, in order.

    The caller checks the batch size and `leads.add_activityevent`; contacts named by id must be
    visible to `by` (contacts_for_user). `by=None` is the trusted file import
    (leads.importing): every contact is visible and new contacts' history names IMPORT_ACTOR.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    outcomes: list[EventOutcome | None] = [None] * len(items)
    valid: list[_Item] = []
    for index, raw in enumerate(items):
        item, errors = _validate(index, raw, now=now, tz=tz)
        if errors:
            outcomes[index] = EventOutcome(REJECTED, errors=errors)
        else:
            valid.append(item)

    with transaction.atomic():
        stored = _stored_events({item.key for item in valid if item.key})
        todo = []
        for item in valid:
            if item.key in stored:
                outcomes[item.index] = EventOutcome(DUPLICATE, event=stored[item.key])
            else:
                todo.append(item)

        todo = _resolve_contacts(todo, by=by, now=now, outcomes=outcomes)

        # A repeat of (source, external_id) inside the batch is a duplicate of its first item.
        first: dict[tuple[str, str], _Item] = {}
        repeats: list[_Item] = []
        to_insert: list[_Item] = []
        for item in todo:
            if item.key is None:
                to_insert.append(item)
            elif item.key in first:
                repeats.append(item)
            else:
                first[item.key] = item
                to_insert.append(item)

        # Rows go in in (source, external_id) order, so two batches racing on the same keys wait
        # for each other instead of deadlocking.
        to_insert.sort(key=lambda item: (item.key is not None, item.key or ("", "")))
        _insert_events(to_insert, now=now, outcomes=outcomes)
        if by is not None:  # file imports (by=None) are left to the scheduled rescore
            hooks.contacts_changed(
                contact_ids={
                    o.event["contact"] for o in outcomes if o is not None and o.status == CREATED
                }
            )
        for item in repeats:
            original = outcomes[first[item.key].index]
            outcomes[item.index] = (
                original
                if original.status == REJECTED
                else EventOutcome(DUPLICATE, event=original.event)
            )
    return outcomes  # type: ignore[return-value]


# --- validation -----------------------------------------------------------------------------


def _validate(index: int, raw: Any, *, now: datetime, tz=None) -> tuple[_Item | None, dict]:
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

    properties = raw.get("properties", {})
    properties_json = ""
    if not isinstance(properties, dict):
        errors["properties"] = ["Expected a JSON object."]
    else:
        properties_json = json.dumps(properties)
        if _JSON_NUL.search(properties_json):
            errors["properties"] = ["May not contain NUL characters (\\u0000)."]
        # json.dumps writes every surrogate as a \udXXX escape: only then is a second look needed.
        elif "\\ud" in properties_json and not _is_unicode_text(properties):
            errors["properties"] = [_LONE_SURROGATE]

    source = _optional_str(raw, "source", _SOURCE_MAX, errors)
    external_id = _optional_str(raw, "external_id", _EXTERNAL_ID_MAX, errors)

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
        email = _parse_email(email)
        if email is None:
            errors["email"] = ["Enter a valid email address."]

    if errors:
        return None, errors
    return _Item(
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


_LONE_SURROGATE = "Contains an unpaired UTF-16 surrogate (e.g. \\ud800), which is not valid text."


def _is_unicode_text(value: Any) -> bool:
    """False when a string in value holds an unpaired surrogate, which PostgreSQL refuses."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    if "\x00" in value:
        errors[field] = ["May not contain NUL characters."]
    elif not _is_unicode_text(value):
        errors[field] = [_LONE_SURROGATE]
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


def _parse_email(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if len(value) > _EMAIL_MAX or "\x00" in value:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


# --- contacts -------------------------------------------------------------------------------


def _is_postgres() -> bool:
    return connections[router.db_for_write(ActivityEvent)].vendor == "postgresql"


def _one_of(values, pg_type: str):
    """The right-hand side of an __in lookup: one array parameter on PostgreSQL."""
    values = list(values)
    if _is_postgres():
        return RawSQL(f"SELECT unnest(%s::{pg_type}[])", [values])
    return values


def _resolve_contacts(items: list[_Item], *, by, now: datetime, outcomes: list) -> list[_Item]:
    """Fill contact_id on every item; reject unknown or invisible contacts; create new emails."""
    if by is None:
        visible, see_all = Contact.objects.order_by(), True
    else:
        visible = contacts_for_user(user=by).order_by()
        see_all = by.has_perm("leads.view_all_contacts")

    ids = {item.contact_id for item in items if item.contact_id is not None}
    known_ids = (
        set(visible.filter(pk__in=_one_of(ids, "bigint")).values_list("pk", flat=True))
        if ids
        else set()
    )

    emails = {item.email for item in items if item.email is not None}
    by_email = _pks_by_email(emails)
    hidden = set()
    if by_email and not see_all:
        shown = set(
            visible.filter(pk__in=_one_of(by_email.values(), "bigint")).values_list("pk", flat=True)
        )
        hidden = {email for email, pk in by_email.items() if pk not in shown}

    kept = []
    for item in items:
        if item.contact_id is not None:
            if item.contact_id not in known_ids:
                outcomes[item.index] = EventOutcome(
                    REJECTED, errors={"contact": ["No such contact."]}
                )
                continue
        elif item.email in hidden:
            outcomes[item.index] = EventOutcome(
                REJECTED, errors={"email": ["This contact belongs to someone else."]}
            )
            continue
        kept.append(item)

    new_emails = sorted({item.email for item in kept if item.email and item.email not in by_email})
    if new_emails:
        by_email.update(_contacts_create(new_emails, by=by, now=now))
    for item in kept:
        if item.contact_id is None:
            item.contact_id = by_email[item.email]
    return kept


def _pks_by_email(emails: set[str]) -> dict[str, int]:
    if not emails:
        return {}
    return dict(
        Contact.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=_one_of(emails, "text"))
        .values_list("email_ci", "pk")
    )


def _contacts_create(emails: list[str], *, by, now: datetime) -> dict[str, int]:
    """Bulk version of contact_create: new contacts in stage lead, each with its first history row.

    If a concurrent request created some of the same emails first, theirs are used.
    """
    result: dict[str, int] = {}
    for _attempt in range(3):
        missing = [email for email in emails if email not in result]
        try:
            with transaction.atomic():
                contacts = Contact.objects.bulk_create(
                    Contact(email=email, lifecycle_stage=LifecycleStage.LEAD, stage_entered_at=now)
                    for email in missing
                )
                first_stage_changes_create(
                    contact_ids=[contact.pk for contact in contacts],
                    stage=LifecycleStage.LEAD,
                    by=by,
                    system=IMPORT_ACTOR,
                    reason=NEW_CONTACT_REASON,
                    now=now,
                )
            result.update((contact.email, contact.pk) for contact in contacts)
            return result
        except IntegrityError:
            result.update(_pks_by_email(set(missing)))
    raise IntegrityError("Could not create contacts for the events' emails; try again.")


# --- events ---------------------------------------------------------------------------------

_EVENT_FIELDS = (
    "contact",
    "event_type",
    "properties",
    "occurred_at",
    "source",
    "external_id",
    "received_at",
)
_EVENT_COLUMNS = tuple(ActivityEvent._meta.get_field(name).column for name in _EVENT_FIELDS)


def event_as_dict(event: dict, tz=None) -> dict:
    """The API shape of a stored event (the fields of serializers.EventSerializer)."""
    tz = tz or timezone.get_current_timezone()
    return {
        "id": event["id"],
        "contact": event["contact"],
        "event_type": event["event_type"],
        "properties": event["properties"],
        "occurred_at": event["occurred_at"].astimezone(tz),
        "source": event["source"],
        "external_id": event["external_id"],
        "received_at": event["received_at"].astimezone(tz),
    }


def _stored_events(keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Events already stored under these (source, external_id) pairs, in one query."""
    if not keys:
        return {}
    events = ActivityEvent.objects.all()
    if _is_postgres():
        sources, external_ids = zip(*keys, strict=True)
        table = ActivityEvent._meta.db_table
        events = events.filter(
            pk__in=RawSQL(
                f"SELECT id FROM {table} WHERE NOT (external_id = '') AND (source, external_id) "
                "IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                [list(sources), list(external_ids)],
            )
        )
    else:
        events = events.filter(
            source__in={source for source, _ in keys},
            external_id__in={external_id for _, external_id in keys},
        )
    rows = events.order_by().values("id", *_EVENT_FIELDS)
    tz = timezone.get_current_timezone()
    return {
        (row["source"], row["external_id"]): event_as_dict(row, tz)
        for row in rows
        if (row["source"], row["external_id"]) in keys
    }


_CONFLICT = "ON CONFLICT (source, external_id) WHERE NOT (external_id = '') DO NOTHING"
_COLUMNS_SQL = ", ".join(_EVENT_COLUMNS)


def _insert_sql_postgres(items: list[_Item], now: datetime) -> tuple[str, list]:
    """One INSERT ... SELECT FROM unnest(arrays): 7 parameters whatever the batch size."""
    sql = (
        f"INSERT INTO {ActivityEvent._meta.db_table} ({_COLUMNS_SQL}) "
        "SELECT c, t, p::jsonb, o, s, e, %s FROM unnest("
        "%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[]"
        ") AS batch(c, t, p, o, s, e) "
        f"{_CONFLICT} RETURNING id, source, external_id"
    )
    params = [
        now,
        [item.contact_id for item in items],
        [item.event_type for item in items],
        [item.properties_json for item in items],
        [item.occurred_at for item in items],
        [item.source for item in items],
        [item.external_id for item in items],
    ]
    return sql, params


def _insert_sql_generic(items: list[_Item], now: datetime, connection) -> tuple[str, list]:
    """INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING RETURNING (SQLite 3.35+)."""
    row_sql = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    params: list = []
    for item in items:
        params += [
            item.contact_id,
            item.event_type,
            item.properties_json,
            connection.ops.adapt_datetimefield_value(item.occurred_at),
            item.source,
            item.external_id,
            connection.ops.adapt_datetimefield_value(now),
        ]
    sql = (
        f"INSERT INTO {ActivityEvent._meta.db_table} ({_COLUMNS_SQL}) "
        f"VALUES {', '.join([row_sql] * len(items))} "
        f"{_CONFLICT} RETURNING id, source, external_id"
    )
    return sql, params


def _insert_events(items: list[_Item], *, now: datetime, outcomes: list) -> None:
    """Store the events; an item whose (source, external_id) a concurrent request stored first is
    not returned by the INSERT, and is then looked up and answered as a duplicate."""
    if not items:
        return
    connection = connections[router.db_for_write(ActivityEvent)]
    tz = timezone.get_current_timezone()
    # SQLite allows 32,766 parameters per statement: 7 per event.
    chunk_size = len(items) if connection.vendor == "postgresql" else 4000
    for start in range(0, len(items), chunk_size):
        chunk = items[start : start + chunk_size]
        if connection.vendor == "postgresql":
            sql, params = _insert_sql_postgres(chunk, now)
        else:
            sql, params = _insert_sql_generic(chunk, now, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()

        # Keyed rows are matched by key; the others were all inserted, and ids grow in row order.
        ids_by_key = {(source, ext): pk for pk, source, ext in returned if ext}
        plain_ids = iter(sorted(pk for pk, _source, ext in returned if not ext))
        lost = set()
        for item in chunk:
            pk = ids_by_key.get(item.key) if item.key else next(plain_ids)
            if pk is None:
                lost.add(item.key)
                continue
            outcomes[item.index] = EventOutcome(
                CREATED,
                event=event_as_dict(
                    {
                        "id": pk,
                        "contact": item.contact_id,
                        "event_type": item.event_type,
                        "properties": item.properties,
                        "occurred_at": item.occurred_at,
                        "source": item.source,
                        "external_id": item.external_id,
                        "received_at": now,
                    },
                    tz,
                ),
            )
        if lost:
            stored = _stored_events(lost)
            for item in chunk:
                if item.key not in lost:
                    continue
                if item.key in stored:
                    outcomes[item.index] = EventOutcome(DUPLICATE, event=stored[item.key])
                else:  # stored by a transaction this one cannot see yet
                    outcomes[item.index] = EventOutcome(
                        REJECTED,
                        errors={"external_id": ["Being stored by another request; send it again."]},
                    )

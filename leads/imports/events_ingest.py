"""Set-based ingestion of activity events (POST /api/v1/events/).

A batch of up to MAX_BATCH events costs a fixed handful of queries, not a few per event:

1. every item is validated in plain Python (leads.imports.validation.event_validate);
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

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connections, router, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from leads import hooks
from leads.imports.sql import is_postgres, one_of
from leads.imports.validation import EventItem, event_validate
from leads.models import ActivityEvent, Contact, LifecycleStage
from leads.selectors import contacts_for_user
from leads.services import first_stage_changes_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_BATCH = 1000
NEW_CONTACT_REASON = "Created from an activity event"
IMPORT_ACTOR = "import"  # StageChange.actor_system when the file import (by=None) creates contacts

CREATED, DUPLICATE, REJECTED = "created", "duplicate", "rejected"


@dataclass(slots=True)
class EventOutcome:
    """What happened to one item: created / duplicate (with the stored event) or rejected."""

    status: str
    event: dict | None = None
    errors: dict[str, list[str]] | None = None


def events_ingest(
    *, items: list[Any], by: "User | None", now: datetime | None = None
) -> list[EventOutcome]:
    """Store a batch of events for user `by`; one outcome per item, in order.

    The caller checks the batch size and `leads.add_activityevent`; contacts named by id must be
    visible to `by` (contacts_for_user). `by=None` is the trusted file import
    (leads.imports.events_file): every contact is visible and new contacts' history names IMPORT_ACTOR.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    outcomes: list[EventOutcome | None] = [None] * len(items)
    valid: list[EventItem] = []
    for index, raw in enumerate(items):
        item, errors = event_validate(index, raw, now=now, tz=tz)
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
        first: dict[tuple[str, str], EventItem] = {}
        repeats: list[EventItem] = []
        to_insert: list[EventItem] = []
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
                    outcome.event["contact"]
                    for outcome in outcomes
                    if outcome is not None and outcome.status == CREATED
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


# --- contacts -------------------------------------------------------------------------------


def _resolve_contacts(
    items: list[EventItem], *, by: "User | None", now: datetime, outcomes: list
) -> list[EventItem]:
    """Fill contact_id on every item; reject unknown or invisible contacts; create new emails."""
    if by is None:
        visible, see_all = Contact.objects.order_by(), True
    else:
        visible = contacts_for_user(user=by).order_by()
        see_all = by.has_perm("leads.view_all_contacts")

    ids = {item.contact_id for item in items if item.contact_id is not None}
    known_ids = (
        set(visible.filter(pk__in=one_of(ids, "bigint")).values_list("pk", flat=True))
        if ids
        else set()
    )

    emails = {item.email for item in items if item.email is not None}
    by_email = contact_ids_by_email(emails=emails)
    hidden = set()
    if by_email and not see_all:
        shown = set(
            visible.filter(pk__in=one_of(by_email.values(), "bigint")).values_list("pk", flat=True)
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
        by_email.update(contacts_create_for_emails(emails=new_emails, by=by, now=now))
    for item in kept:
        if item.contact_id is None:
            item.contact_id = by_email[item.email]
    return kept


def contact_ids_by_email(*, emails: set[str]) -> dict[str, int]:
    """Contact id by lower-case email, for the emails that have a contact."""
    if not emails:
        return {}
    return dict(
        Contact.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=one_of(emails, "text"))
        .values_list("email_ci", "pk")
    )


def contacts_create_for_emails(
    *, emails: list[str], by: "User | None", now: datetime
) -> dict[str, int]:
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
            result.update(contact_ids_by_email(emails=set(missing)))
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
    if is_postgres():
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


def _insert_sql_postgres(items: list[EventItem], now: datetime) -> tuple[str, list]:
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


def _insert_sql_generic(items: list[EventItem], now: datetime, connection) -> tuple[str, list]:
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


def _insert_events(items: list[EventItem], *, now: datetime, outcomes: list) -> None:
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

"""Bulk import of activity events from CSV / NDJSON files (backfills from another tool).

Lines are validated while streaming; rejected lines go to a report and are never written.
On PostgreSQL valid rows are COPYed into a temp staging table and moved with one
INSERT ... SELECT ... ON CONFLICT DO NOTHING per chunk, so a re-run adds nothing.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leads.models import ActivityEvent, Contact, EventType, LifecycleStage, StageChange

CHUNK = 50_000
FUTURE_TOLERANCE = timedelta(minutes=5)
EVENT_TYPES = frozenset(EventType.values)


@dataclass
class EventImportResult:
    total: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    contacts_created: int = 0


def _read_lines(path: Path, fmt: str) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, record or None, error)."""
    with open(path, encoding="utf-8", newline="") as fh:
        if fmt == "ndjson":
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, None, f"invalid JSON: {exc.msg}"
                    continue
                if not isinstance(record, dict):
                    yield number, None, "line is not a JSON object"
                    continue
                yield number, record, ""
        else:
            reader = csv.DictReader(fh)
            for record in reader:
                number = reader.line_num
                props = record.get("properties") or ""
                if props.strip():
                    try:
                        record["properties"] = json.loads(props)
                    except json.JSONDecodeError:
                        yield number, None, "properties: invalid JSON"
                        continue
                else:
                    record["properties"] = {}
                yield number, record, ""


def _validate(record: dict, *, now: datetime) -> tuple[dict | None, str]:
    event_type = record.get("event_type") or ""
    if event_type not in EVENT_TYPES:
        return None, f"event_type: unknown type {event_type!r}"
    raw = record.get("occurred_at")
    occurred = None
    if isinstance(raw, str):
        try:
            occurred = datetime.fromisoformat(raw)
        except ValueError:
            occurred = parse_datetime(raw) if "T" in raw or " " in raw else None
    if occurred is None:
        return None, f"occurred_at: not a valid date-time {raw!r}"
    if timezone.is_naive(occurred):
        occurred = occurred.replace(tzinfo=UTC)
    if occurred > now + FUTURE_TOLERANCE:
        return None, "occurred_at: in the future"
    props = record.get("properties")
    if props in (None, ""):
        props = {}
    if not isinstance(props, dict):
        return None, "properties: must be a JSON object"
    contact = record.get("contact")
    email = (record.get("email") or "").strip().lower()
    if contact not in (None, ""):
        try:
            contact = int(contact)
        except (TypeError, ValueError):
            return None, "contact: must be an integer id"
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            return None, f"email: not a valid address {email!r}"
        contact = None
    else:
        return None, "contact: give a contact id or an email"
    source = str(record.get("source") or "")[:100]
    external_id = str(record.get("external_id") or "")[:200]
    return {
        "contact": contact,
        "email": email,
        "event_type": event_type,
        "occurred_at": occurred,
        "properties": props,
        "source": source,
        "external_id": external_id,
    }, ""


def _contacts_for_emails(emails: set[str], *, now: datetime) -> tuple[dict[str, int], int]:
    found = {}
    for cid, email in Contact.objects.filter(email__in=emails).values_list("id", "email"):
        found[email.lower()] = cid
    # Case-insensitive match for stored emails with capitals.
    missing = emails - found.keys()
    if missing:
        from django.db.models.functions import Lower

        for cid, email in (
            Contact.objects.annotate(e=Lower("email")).filter(e__in=missing).values_list("id", "e")
        ):
            found[email] = cid
    missing = sorted(emails - found.keys())
    if missing:
        new = Contact.objects.bulk_create(
            [
                Contact(email=e, lifecycle_stage=LifecycleStage.LEAD, stage_entered_at=now)
                for e in missing
            ]
        )
        if not all(c.pk for c in new):
            new = Contact.objects.filter(email__in=missing)
        StageChange.objects.bulk_create(
            [
                StageChange(
                    contact_id=c.pk,
                    from_stage="",
                    to_stage=LifecycleStage.LEAD,
                    changed_at=now,
                    actor_system="import",
                    reason="Created by event import (unknown email)",
                )
                for c in new
            ]
        )
        for c in new:
            found[c.email.lower()] = c.pk
    return found, len(missing)


def _write_chunk(rows: list[dict], result: EventImportResult, *, now: datetime) -> None:
    with transaction.atomic():
        emails = {r["email"] for r in rows if r["contact"] is None}
        if emails:
            by_email, made = _contacts_for_emails(emails, now=now)
            result.contacts_created += made
            for r in rows:
                if r["contact"] is None:
                    r["contact"] = by_email[r["email"]]
        if connection.vendor == "postgresql":
            created = _copy_chunk(rows, now=now)
        else:
            created = _bulk_chunk(rows, now=now)
    result.created += created
    result.duplicates += len(rows) - created


def _copy_chunk(rows: list[dict], *, now: datetime) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_event_stage ("
            " line int, contact_id bigint, event_type varchar(32), properties jsonb,"
            " occurred_at timestamptz, source varchar(100), external_id varchar(200)"
            ") ON COMMIT DELETE ROWS"
        )
        raw = cur.cursor
        with raw.copy(
            "COPY import_event_stage (line, contact_id, event_type, properties, occurred_at,"
            " source, external_id) FROM STDIN"
        ) as copy:
            dumps = json.dumps
            for i, r in enumerate(rows):
                copy.write_row(
                    (
                        i,
                        r["contact"],
                        r["event_type"],
                        dumps(r["properties"]),
                        r["occurred_at"],
                        r["source"],
                        r["external_id"],
                    )
                )
        # Unknown contact ids are reported by the caller; here only existing ones are written.
        cur.execute(
            "INSERT INTO leads_activityevent"
            " (contact_id, event_type, properties, occurred_at, source, external_id, received_at)"
            " SELECT s.contact_id, s.event_type, s.properties, s.occurred_at, s.source,"
            " s.external_id, %s FROM import_event_stage s"
            " ON CONFLICT (source, external_id) WHERE external_id <> '' DO NOTHING",
            [now],
        )
        created = cur.rowcount
        cur.execute("TRUNCATE import_event_stage")
    return created


def _bulk_chunk(rows: list[dict], *, now: datetime) -> int:
    keyed = [(r["source"], r["external_id"]) for r in rows if r["external_id"]]
    existing: set[tuple[str, str]] = set()
    for i in range(0, len(keyed), 500):
        part = keyed[i : i + 500]
        ids = {k[1] for k in part}
        existing.update(
            ActivityEvent.objects.filter(external_id__in=ids).values_list("source", "external_id")
        )
    seen: set[tuple[str, str]] = set()
    objs = []
    for r in rows:
        key = (r["source"], r["external_id"])
        if r["external_id"]:
            if key in existing or key in seen:
                continue
            seen.add(key)
        objs.append(
            ActivityEvent(
                contact_id=r["contact"],
                event_type=r["event_type"],
                properties=r["properties"],
                occurred_at=r["occurred_at"],
                source=r["source"],
                external_id=r["external_id"],
            )
        )
    ActivityEvent.objects.bulk_create(objs, batch_size=1000)
    return len(objs)


def events_import(
    *,
    path: Path,
    fmt: str | None = None,
    report_path: Path | None = None,
    now: datetime | None = None,
    chunk_size: int = CHUNK,
) -> EventImportResult:
    """Import events from a CSV or NDJSON file; returns counts and the rejected lines."""
    path = Path(path)
    fmt = fmt or ("ndjson" if path.suffix.lower() in (".ndjson", ".jsonl", ".json") else "csv")
    now = now or timezone.now()
    result = EventImportResult()
    known_ids: set[int] = set()
    chunk: list[dict] = []

    def flush() -> None:
        ids = {r["contact"] for r in chunk if r["contact"] is not None} - known_ids
        if ids:
            known_ids.update(Contact.objects.filter(pk__in=ids).values_list("pk", flat=True))
        good = []
        for r in chunk:
            if r["contact"] is not None and r["contact"] not in known_ids:
                result.rejected.append((r["line"], f"contact: unknown id {r['contact']}"))
            else:
                good.append(r)
        if good:
            _write_chunk(good, result, now=now)
        chunk.clear()

    for number, record, error in _read_lines(path, fmt):
        result.total += 1
        if record is not None:
            row, error = _validate(record, now=now)
        if error:
            result.rejected.append((number, error))
            continue
        row["line"] = number
        chunk.append(row)
        if len(chunk) >= chunk_size:
            flush()
            chunk = []
    if chunk:
        flush()
    result.rejected.sort()
    report_path = report_path or path.with_name(path.name + ".rejected.csv")
    with open(report_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "reason"])
        writer.writerows(result.rejected)
    result.report_path = report_path
    return result

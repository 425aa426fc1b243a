"""Bulk import of activity events from CSV / NDJSON files (backfills from another tool).

The validation rules are the API's: lines are read as the API's records and stored through
events_ingest (with by=None, the trusted import caller), see leads.imports.events_records. On
PostgreSQL a fast path (leads.imports.events_postgres, its SQL checks in events_sql) comes first:

1. the file's lines go unparsed into a work table with one COPY (Python does no per-line work);
2. one CREATE TABLE AS statement recognises the lines that are *plainly* valid — a conservative
   subset of what the API accepts (ISO timestamps with a plausible date, plain ids, a simple
   email shape, ...) — and converts them to typed columns. The work tables are UNLOGGED
   ordinary tables (dropped before the end), so PostgreSQL may run this on parallel workers;
3. every other line (a rejected one, or an unusual but valid one such as a date-time with a
   time zone name) goes through events_ingest, which gives the API's outcome and messages;
4. unknown emails get a contact (as the API does); the contacts the lines name are checked and
   locked FOR KEY SHARE in one statement (unknown ids reject their lines), the lines whose key
   is already stored are left out, and one plain INSERT ... SELECT stores the rest. Where the
   role may (superuser, or GRANT SET ON PARAMETER session_replication_role) the per-row
   foreign-key trigger is skipped for that one statement: the lock above is the same check.
   If the INSERT meets a key stored meanwhile (a concurrent API request) or repeated in the
   file, it is redone with ON CONFLICT (source, external_id) DO NOTHING. A re-run of the same
   file writes nothing.

Everything runs in one transaction: a failure leaves nothing half-written. Rejected lines are
reported (line number and the reason, naming the field) and nothing of them is written.

For a large backfill the non-unique indexes of the events table can be dropped before the
INSERT and rebuilt after it in the same transaction (`indexes="rebuild"`, or "auto" when the
new events are many compared with the table): building an index is much cheaper than
maintaining it row by row, but the table is then locked (ACCESS EXCLUSIVE) until the commit.
"""

from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from core.db import analyze
from core.spreadsheet import csv_writer
from leads.imports.events_postgres import events_import_postgres
from leads.imports.events_records import EventImportResult, file_records, records_ingest
from leads.models import ActivityEvent, Contact

INDEX_MODES = ("auto", "keep", "rebuild")


def events_import(
    *,
    path: Path,
    fmt: str | None = None,
    report_path: Path | None = None,
    now: datetime | None = None,
    indexes: str = "auto",
) -> EventImportResult:
    """Import events from a CSV or NDJSON file; returns counts and the rejected lines.

    The rejected lines (line number, reason) are also written to `report_path` (default:
    FILE.rejected.csv next to the input).
    """
    path = Path(path)
    fmt = fmt or ("ndjson" if path.suffix.lower() in (".ndjson", ".jsonl", ".json") else "csv")
    if fmt not in ("csv", "ndjson"):
        raise ValueError(f"format: use csv or ndjson, not {fmt!r}")
    if indexes not in INDEX_MODES:
        raise ValueError(f"indexes: use one of {', '.join(INDEX_MODES)}, not {indexes!r}")
    now = now or timezone.now()
    result = EventImportResult()
    with transaction.atomic():
        contacts_before = Contact.objects.count()
        if connection.vendor != "postgresql" or not events_import_postgres(
            path, fmt, result, now=now, indexes=indexes
        ):
            result.total = records_ingest(file_records(path, fmt), result, now=now)
        result.contacts_created = Contact.objects.count() - contacts_before
        # Statistics for the planner before the rescore queued on commit (autovacuum may be off).
        analyze(ActivityEvent, Contact)
    result.rejected.sort()
    result.report_path = report_path or path.with_name(path.name + ".rejected.csv")
    with open(result.report_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv_writer(fh)
        writer.writerow(["line", "reason"])
        writer.writerows(result.rejected)
    return result

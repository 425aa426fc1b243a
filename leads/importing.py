"""Bulk import of activity events from CSV / NDJSON files (backfills from another tool).

The validation rules are the API's: leads.ingest._validate, run through leads.ingest.events_ingest
(with by=None, the trusted import caller). This module only adds a fast path on PostgreSQL:

1. the file's lines go unparsed into a temp table with one COPY (Python does no per-line work);
2. one SQL pass recognises the lines that are *plainly* valid — a conservative subset of what
   the API accepts (ISO timestamps with a plausible date, ASCII ids, a simple email shape, ...)
   — and converts them to typed columns;
3. every other line (a rejected one, or an unusual but valid one such as a date-time without a
   'T') goes through events_ingest, which gives the API's outcome and error messages;
4. unknown contact ids are rejected, unknown emails get a contact (as the API does), and one
   INSERT ... SELECT ... ON CONFLICT (source, external_id) DO NOTHING stores the rest, so a
   re-run of the same file writes nothing.

Everything runs in one transaction: a failure leaves nothing half-written. Rejected lines are
reported (line number and the reason, naming the field) and nothing of them is written.

For a large backfill the non-unique indexes of the events table can be dropped before the
INSERT and rebuilt after it in the same transaction (`indexes="rebuild"`, or "auto" when the
import is large compared with the table): building an index is much cheaper than maintaining it
row by row, but the table is locked (ACCESS EXCLUSIVE) for the whole import.
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from django.db import DataError, connection, transaction
from django.utils import timezone

from leads.ingest import (
    _EMAIL_MAX,
    _EXTERNAL_ID_MAX,
    _SOURCE_MAX,
    CREATED,
    DUPLICATE,
    EVENT_TYPES,
    FUTURE_TOLERANCE,
    MAX_BATCH,
    _contacts_create,
    events_ingest,
)
from leads.models import ActivityEvent, Contact

FIELDS = ("contact", "email", "event_type", "occurred_at", "properties", "source", "external_id")
INDEX_MODES = ("auto", "keep", "rebuild")
# "auto" rebuilds the non-unique indexes when the valid lines are at least this share of the
# rows already in the table: a rebuild sorts the whole table once per index, which on 2 cores
# costs about as much as maintaining the indexes for half as many inserted rows (rough figure).
REBUILD_SHARE = 0.5
_READ_HINT = 1 << 20

_EVENTS = ActivityEvent._meta.db_table
_CONTACTS = Contact._meta.db_table


@dataclass
class EventImportResult:
    total: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    contacts_created: int = 0
    indexes_rebuilt: bool = False
    report_path: Path | None = None


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
        if connection.vendor != "postgresql" or not _import_postgres(
            path, fmt, result, now=now, indexes=indexes
        ):
            result.total = _import_python(_file_records(path, fmt), result, now=now)
        result.contacts_created = Contact.objects.count() - contacts_before
    result.rejected.sort()
    result.report_path = report_path or path.with_name(path.name + ".rejected.csv")
    with open(result.report_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["line", "reason"])
        writer.writerows(result.rejected)
    return result


# --- parsing shared by both paths -----------------------------------------------------------


def _strict_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _ndjson_record(text: str) -> tuple[dict | None, str]:
    """One NDJSON line -> (record, "") or (None, reason)."""
    try:
        return json.loads(text, parse_constant=_strict_constant), ""
    except ValueError as exc:
        return None, f"line: Not valid JSON ({getattr(exc, 'msg', exc)})."


def _csv_record(row: dict) -> tuple[dict | None, str]:
    """One CSV row -> an API-shaped record: empty cells are absent, properties is JSON text."""
    record = {name: row[name] for name in FIELDS if row.get(name) not in (None, "")}
    props = record.pop("properties", "")
    if props.strip():
        try:
            record["properties"] = json.loads(props, parse_constant=_strict_constant)
        except ValueError:
            return None, "properties: Not valid JSON."
    return record, ""


def _file_records(path: Path, fmt: str) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, record or None, reason) for every non-blank line / CSV row."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        if fmt == "ndjson":
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                reason = _text_problem(line)
                yield number, *((None, reason) if reason else _ndjson_record(line))
        else:
            reader = csv.DictReader(fh)
            if reader.fieldnames:
                reader.fieldnames = [name.lstrip("\ufeff").strip() for name in reader.fieldnames]
            for row in reader:
                reason = _text_problem("".join(v for v in row.values() if isinstance(v, str)))
                yield reader.line_num, *((None, reason) if reason else _csv_record(row))


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "line: Contains a NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "line: Not valid UTF-8."
    return ""


def _reason(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{'line' if name == 'non_field_errors' else name}: {' '.join(messages)}"
        for name, messages in errors.items()
    )


def _import_python(
    records: Iterator[tuple[int, dict | None, str]], result: EventImportResult, *, now: datetime
) -> int:
    """The API's own path, in batches: validation, duplicates, contacts, INSERT.

    Returns the number of records read."""
    batch: list[tuple[int, dict]] = []
    count = 0

    def flush() -> None:
        outcomes = events_ingest(items=[record for _, record in batch], by=None, now=now)
        for (number, _), outcome in zip(batch, outcomes, strict=True):
            if outcome.status == CREATED:
                result.created += 1
            elif outcome.status == DUPLICATE:
                result.duplicates += 1
            else:
                result.rejected.append((number, _reason(outcome.errors)))
        batch.clear()

    for number, record, reason in records:
        count += 1
        if record is None:
            result.rejected.append((number, reason))
            continue
        batch.append((number, record))
        if len(batch) >= MAX_BATCH:
            flush()
    if batch:
        flush()
    return count


# --- PostgreSQL fast path -------------------------------------------------------------------

# PostgreSQL's regular expressions cost several µs a row, so the shapes below are checked with
# plain string functions. Whatever passes is valid for leads.ingest._validate too (the tests
# check this); whatever does not goes through events_ingest for the exact verdict.
_ID_MAX_DIGITS = 18  # below 2**63
_TEXT_RE = r"^([!-~]([ -~]*[!-~])?)?$"  # printable ASCII, nothing for str.strip() to remove
_ID_RE = r"^[1-9][0-9]*$"
_EMAIL_RE = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_TEMP_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.import_jsonb(value text) RETURNS jsonb LANGUAGE plpgsql
IMMUTABLE AS $$ BEGIN RETURN value::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION pg_temp.import_ts(value text) RETURNS timestamptz LANGUAGE plpgsql
STABLE AS $$ BEGIN RETURN value::timestamptz; EXCEPTION WHEN others THEN RETURN NULL; END $$;
"""
_FIELDS_CHECKED = ("contact", "email", "event_type", "occurred_at", "source", "external_id")


def _naive_ok() -> bool:
    # A date-time without offset is read in the current time zone by the API and in the
    # session's (UTC) by PostgreSQL: it takes the fast path only when they are the same.
    return timezone.get_current_timezone_name() == "UTC"


def _digits(expr: str) -> str:
    return f"rtrim({expr}, '0123456789') = ''"


def _plain_text(col: str, max_length: int) -> str:
    """Printable ASCII with nothing for str.strip() to remove, at most max_length long."""
    return f"({col} ~ %(text_re)s AND length({col}) <= {max_length})"


def _ts_shape(ts: str, rest: str) -> str:
    """YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z|±HH:MM], year 19xx/20xx, no 24:00, no leap second.

    `rest` is what follows the seconds and their fraction. The date itself (Feb 30) and the
    offset's range are left to the cast (pg_temp.import_ts gives NULL when it fails)."""
    numbers = " || ".join(
        f"substr({ts}, {start}, {size})"
        for start, size in ((1, 4), (6, 2), (9, 2), (12, 2), (15, 2), (18, 2))
    )
    return (
        f"(length({ts}) BETWEEN 19 AND 32 AND left({ts}, 2) IN ('19', '20')"
        f" AND substr({ts}, 5, 1) = '-' AND substr({ts}, 8, 1) = '-'"
        f" AND substr({ts}, 11, 1) IN ('T', ' ') AND substr({ts}, 14, 1) = ':'"
        f" AND substr({ts}, 17, 1) = ':' AND {_digits(numbers)}"
        f" AND substr({ts}, 12, 2) COLLATE \"C\" < '24'"
        f" AND substr({ts}, 18, 2) COLLATE \"C\" < '60'"
        f" AND length({ts}) - length({rest}) IN (19, 21, 22, 23, 24, 25, 26)"
        f" AND ({rest} = '' AND %(naive_ok)s OR {rest} = 'Z'"
        f" OR length({rest}) = 6 AND left({rest}, 1) IN ('+', '-')"
        f" AND substr({rest}, 4, 1) = ':'"
        f" AND {_digits(f'substr({rest}, 2, 2) || substr({rest}, 5, 2)')}))"
    )


def _classify_sql(fmt: str, columns: dict[str, str], *, safe: bool) -> str:
    """SQL creating import_event_row (line, ok, typed fields) from import_event_raw.

    Nested steps: parse the line (NDJSON) or the properties cell (CSV); take every field out
    once as text and JSON kind ('absent', 'null', 'string', 'number', ...); check the fields
    and convert the plainly valid ones; `ok` marks a line the fast path stores.
    With safe=False the casts are plain (faster) and fail on the first line that is not JSON
    or a date-time PostgreSQL takes; with safe=True such a value becomes NULL.
    """
    jsonb, ts = ("pg_temp.import_jsonb", "pg_temp.import_ts") if safe else ("", "")
    if fmt == "ndjson":
        parsed = (
            f"SELECT line, raw, {jsonb}(raw)::jsonb AS doc FROM import_event_raw"
            " WHERE btrim(raw, E' \\t\\r\\n') <> ''"
        )
        fields = [
            f"p.doc->>'{n}' AS t_{n}, coalesce(jsonb_typeof(p.doc->'{n}'), 'absent') AS k_{n}"
            for n in _FIELDS_CHECKED
        ]
        fields.append(
            "CASE WHEN NOT p.doc ? 'properties' THEN '{}'::jsonb"
            " WHEN jsonb_typeof(p.doc->'properties') = 'object' THEN p.doc->'properties'"
            " END AS props"
        )
        fields.append("p.raw")
        occurred = "(p.doc->>'occurred_at')"
        # jsonb reads 5e0 as 5, json.loads as a float (no id): the literal must be an integer.
        literal_id = (
            "(strpos(f.raw, '\"contact\": ' || f.t_contact || ',') > 0"
            " OR strpos(f.raw, '\"contact\":' || f.t_contact || ',') > 0)"
        )
    else:

        def cell(n):
            return f"nullif(p.{columns[n]}, '')" if n in columns else "NULL::text"

        properties = cell("properties").replace("p.", "")
        cells = "".join(f"{c}, " for c in sorted(set(columns.values())))
        parsed = (
            f"SELECT line, {cells}{jsonb}(btrim({properties}))::jsonb AS doc FROM import_event_raw"
        )
        fields = [
            f"{cell(n)} AS t_{n}, CASE WHEN {cell(n)} IS NULL THEN 'absent' ELSE 'string' END"
            f" AS k_{n}"
            for n in _FIELDS_CHECKED
        ]
        fields.append(
            f"CASE WHEN btrim(coalesce({cell('properties')}, '')) = '' THEN '{{}}'::jsonb"
            " WHEN jsonb_typeof(p.doc) = 'object' THEN p.doc END AS props"
        )
        literal_id = "true"
        occurred = cell("occurred_at")

    def optional_text(n, max_length):
        return (
            f"(f.k_{n} = 'absent' OR f.k_{n} = 'string' AND {_plain_text(f'f.t_{n}', max_length)})"
        )

    contact_id = (
        f"(f.k_contact = 'string' OR f.k_contact = 'number' AND {literal_id})"
        f" AND f.t_contact ~ %(id_re)s AND length(f.t_contact) <= {_ID_MAX_DIGITS}"
    )
    email = (
        f"f.k_email = 'string' AND {_plain_text('f.t_email', _EMAIL_MAX)}"
        " AND lower(f.t_email) ~ %(email_re)s"
    )
    fields.append(
        f"CASE WHEN substr({occurred}, 20, 1) = '.' THEN ltrim(substr({occurred}, 21), '0123456789')"
        f" ELSE substr({occurred}, 20) END AS ts_rest"
    )
    return f"""
CREATE TEMP TABLE import_event_row ON COMMIT DROP AS
SELECT line,
  coalesce(ok AND occurred_at <= %(latest)s AND (contact_id IS NOT NULL OR email IS NOT NULL),
           false) AS ok,
  contact_id, email, event_type, properties, occurred_at, source, external_id
FROM (
  SELECT f.line,
    f.k_event_type = 'string' AND f.t_event_type = ANY(%(types)s) AND f.props IS NOT NULL
      AND {optional_text("source", _SOURCE_MAX)}
      AND {optional_text("external_id", _EXTERNAL_ID_MAX)} AS ok,
    CASE WHEN f.k_occurred_at = 'string' AND {_ts_shape("f.t_occurred_at", "f.ts_rest")}
         THEN {ts}(f.t_occurred_at)::timestamptz END AS occurred_at,
    CASE WHEN f.k_email = 'absent' AND {contact_id} THEN f.t_contact::bigint END AS contact_id,
    CASE WHEN f.k_contact = 'absent' AND {email} THEN lower(f.t_email) END AS email,
    f.t_event_type AS event_type, f.props AS properties,
    coalesce(f.t_source, '') AS source, coalesce(f.t_external_id, '') AS external_id
  FROM (SELECT p.line, {", ".join(fields)} FROM ({parsed} OFFSET 0) p OFFSET 0) f
  OFFSET 0
) checked
"""


def _classify_params(now: datetime) -> dict:
    return {
        "latest": now + FUTURE_TOLERANCE,
        "types": sorted(EVENT_TYPES),
        "naive_ok": _naive_ok(),
        "text_re": _TEXT_RE,
        "id_re": _ID_RE,
        "email_re": _EMAIL_RE,
    }


def _import_postgres(
    path: Path, fmt: str, result: EventImportResult, *, now: datetime, indexes: str
) -> bool:
    """The fast path; False when the file must take the Python path (a malformed CSV)."""
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS import_event_raw, import_event_row")
        cur.execute(_TEMP_FUNCTIONS)
        cur.execute("SET LOCAL jit = off")  # compiling the checks costs more than it saves
        columns: dict[str, str] = {}
        rejected: list[tuple[int, str]] = []
        if fmt == "ndjson":
            cur.execute(
                "CREATE TEMP TABLE import_event_raw (line bigint GENERATED ALWAYS AS IDENTITY,"
                " raw text) ON COMMIT DROP"
            )
            _copy_ndjson(cur.cursor, path, rejected)
        else:
            header = _csv_header(path)
            if header is None:
                return False
            columns = {name: f"c{i}" for i, name in enumerate(header) if name in FIELDS}
            cur.execute(
                "CREATE TEMP TABLE import_event_raw"
                " (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), "
                + ", ".join(f"c{i} text" for i in range(len(header)))
                + ") ON COMMIT DROP"
            )
            if not _copy_csv(cur.cursor, path, len(header)):
                cur.execute("DROP TABLE import_event_raw")
                return False
        try:
            with transaction.atomic():  # a clean file (the usual backfill) needs no safe casts
                cur.execute(_classify_sql(fmt, columns, safe=False), _classify_params(now))
        except DataError:
            cur.execute(_classify_sql(fmt, columns, safe=True), _classify_params(now))
        cur.execute("SELECT count(*), count(*) FILTER (WHERE ok) FROM import_event_row")
        lines, fast = cur.fetchone()
        result.total = lines + len(rejected)
        result.rejected.extend(rejected)

        # The other lines get the API's own verdict (and are stored by it when valid).
        _import_python(_slow_records(cur, fmt, columns), result, now=now)

        cur.execute(
            "UPDATE import_event_row w SET ok = false WHERE ok AND contact_id IS NOT NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {_CONTACTS} c WHERE c.id = w.contact_id)"
            " RETURNING line"
        )
        unknown = [(line, "contact: No such contact.") for (line,) in cur.fetchall()]
        result.rejected.extend(unknown)
        fast -= len(unknown)
        _resolve_emails(cur, now=now)

        rebuild = indexes == "rebuild" or (indexes == "auto" and _rebuild_pays(cur, fast))
        dropped = event_indexes_drop(cur) if rebuild else []
        cur.execute(
            f"INSERT INTO {_EVENTS} (contact_id, event_type, properties, occurred_at, source,"
            " external_id, received_at)"
            " SELECT contact_id, event_type, properties, occurred_at, source, external_id, %s"
            " FROM import_event_row WHERE ok"
            " ON CONFLICT (source, external_id) WHERE NOT (external_id = '') DO NOTHING",
            [now],
        )
        created = cur.rowcount
        if dropped:
            # Pending (deferred) foreign-key checks must run before an index can be built.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in dropped:
                cur.execute(definition)
        result.indexes_rebuilt = bool(dropped)
        cur.execute("DROP TABLE import_event_raw, import_event_row")
        result.created += created
        result.duplicates += fast - created
    return True


def _copy_ndjson(raw_cursor, path: Path, rejected: list[tuple[int, str]]) -> None:
    """COPY every physical line as one text value (escaped for COPY's text format)."""
    number = 0
    with open(path, "rb") as fh, raw_cursor.copy("COPY import_event_raw (raw) FROM STDIN") as copy:
        while lines := fh.readlines(_READ_HINT):
            block = b"".join(lines)
            clean = b"\x00" not in block
            if clean:
                try:
                    block.decode("utf-8")
                except UnicodeDecodeError:
                    clean = False
            if not clean:
                for offset, line in enumerate(lines, start=number + 1):
                    reason = _text_problem(line.decode("utf-8", "surrogateescape"))
                    if reason:
                        rejected.append((offset, reason))
                        lines[offset - number - 1] = b"\n"
                block = b"".join(lines)
            number += len(lines)
            if not block.endswith(b"\n"):
                block += b"\n"
            copy.write(block.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\r", b"\\r"))


def _csv_header(path: Path) -> list[str] | None:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header or any(_text_problem(name) for name in header):
        return None
    return [name.lstrip("\ufeff").strip() for name in header]


class _EndMarker(Exception):
    pass


def _copy_csv(raw_cursor, path: Path, width: int) -> bool:
    """COPY the CSV as is; False (nothing copied) when PostgreSQL cannot read it as a table
    of `width` columns, e.g. a row with a missing cell, a NUL byte or invalid UTF-8."""
    columns = ", ".join(f"c{i}" for i in range(width))
    try:
        with (
            transaction.atomic(),
            open(path, "rb") as fh,
            raw_cursor.copy(
                f"COPY import_event_raw ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
        ):
            while lines := fh.readlines(_READ_HINT):
                block = b"".join(lines)
                if b"\\." in block and any(
                    line.strip() == b"\\." for line in lines
                ):  # COPY would take this line for the end of the data
                    raise _EndMarker
                copy.write(block)
    except (psycopg.Error, _EndMarker):
        return False
    return True


def _slow_records(cur, fmt: str, columns: dict[str, str]) -> Iterator[tuple[int, dict | None, str]]:
    """The lines the fast path did not accept, parsed as the Python path parses them."""
    if fmt == "ndjson":
        cur.execute(
            "SELECT w.line, r.raw FROM import_event_row w JOIN import_event_raw r USING (line)"
            " WHERE NOT w.ok ORDER BY w.line"
        )
        for line, raw in cur.fetchall():
            yield line, *_ndjson_record(raw)
    else:
        names = list(columns)
        select = ", ".join(f"r.{columns[name]}" for name in names) or "NULL"
        cur.execute(
            f"SELECT w.line, {select} FROM import_event_row w JOIN import_event_raw r"
            " USING (line) WHERE NOT w.ok ORDER BY w.line"
        )
        for line, *values in cur.fetchall():
            yield line, *_csv_record(dict(zip(names, values, strict=False)))


def _resolve_emails(cur, *, now: datetime) -> None:
    """Contacts for the emails of accepted lines: unknown ones are created as the API does."""
    cur.execute(
        "SELECT DISTINCT w.email FROM import_event_row w WHERE w.ok AND w.contact_id IS NULL"
        f" AND NOT EXISTS (SELECT 1 FROM {_CONTACTS} c WHERE lower(c.email) = w.email)"
    )
    missing = sorted(email for (email,) in cur.fetchall())
    if missing:
        _contacts_create(missing, by=None, now=now)
    cur.execute(
        f"UPDATE import_event_row w SET contact_id = c.id FROM {_CONTACTS} c"
        " WHERE w.ok AND w.contact_id IS NULL AND lower(c.email) = w.email"
    )


def _rebuild_pays(cur, rows: int) -> bool:
    return rows > 0 and rows >= REBUILD_SHARE * events_estimated_rows(cur)


def events_estimated_rows(cur) -> float:
    """The planner's estimate of the events table's size (cheap; no count)."""
    cur.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [_EVENTS])
    return cur.fetchone()[0]


def event_indexes_drop(cur) -> list[tuple[str, str]]:
    """Drop the events table's non-unique indexes; return (name, statement that recreates it).

    The unique (source, external_id) index stays, so idempotent inserts still work meanwhile.
    """
    cur.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary"
        " ORDER BY c.relname",
        [_EVENTS],
    )
    indexes = cur.fetchall()
    for name, _definition in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return indexes

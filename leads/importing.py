"""Bulk import of activity events from CSV / NDJSON files (backfills from another tool).

The validation rules are the API's: leads.imports.validation.event_validate, run through
leads.imports.events_ingest.events_ingest (with by=None, the trusted import caller). This module
only adds a fast path on PostgreSQL:

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

import csv
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
from django.db import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    connection,
    transaction,
)
from django.utils import timezone
from psycopg import errors

from leads.imports.events_ingest import (
    CREATED,
    DUPLICATE,
    MAX_BATCH,
    contacts_create_for_emails,
    events_ingest,
)
from leads.imports.validation import (
    EMAIL_MAX,
    EVENT_TYPES,
    EXTERNAL_ID_MAX,
    FUTURE_TOLERANCE,
    SOURCE_MAX,
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

# The checks below use plain string functions (PostgreSQL's regular expressions cost a few µs a
# row). Whatever passes them is valid for event_validate too, with the same values (the
# tests check this); whatever does not goes through events_ingest for the exact verdict.
_ID_MAX_DIGITS = 18  # below 2**63
_TEXT_RE = r"^([!-~]([ -~]*[!-~])?)?$"  # printable ASCII, nothing for str.strip() to remove
_EMAIL_RE = (
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
# The "safe" variants of the casts, for a file where a plain cast fails on some line: NULL
# instead of an error (the line then takes the Python path). They run serially (a subtransaction
# per row), so they are used only when the plain casts fail.
_TEMP_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.import_jsonb(value text) RETURNS jsonb LANGUAGE plpgsql
IMMUTABLE AS $$ BEGIN RETURN value::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION pg_temp.import_ts(value text) RETURNS timestamptz LANGUAGE plpgsql
STABLE AS $$ BEGIN RETURN value::timestamptz; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION pg_temp.import_local(value text) RETURNS timestamp LANGUAGE plpgsql
STABLE AS $$ BEGIN RETURN value::timestamp; EXCEPTION WHEN others THEN RETURN NULL; END $$;
CREATE OR REPLACE FUNCTION pg_temp.import_fields(value text) RETURNS TABLE ({record})
LANGUAGE plpgsql STABLE AS $$ #variable_conflict use_column
BEGIN RETURN QUERY SELECT * FROM json_to_record(value::json) AS r({record});
EXCEPTION WHEN others THEN RETURN; END $$;
"""
_RECORD = (
    "contact text, email text, event_type text, occurred_at text, properties json,"
    " source json, external_id json"
)
_TEMP_FUNCTIONS = _TEMP_FUNCTIONS_SQL.replace("{record}", _RECORD)
_FIELDS_CHECKED = ("contact", "email", "event_type", "occurred_at", "source", "external_id")
# For the hash joins and aggregates over the work tables (one import at a time, as a rule).
_WORK_MEM = "256MB"


def _naive_ok() -> bool:
    # A date-time without offset is read in the current time zone by the API and in the
    # session's (UTC) by PostgreSQL: it takes the fast path only when they are the same.
    return timezone.get_current_timezone_name() == "UTC"


def _plain(col: str, max_length: int) -> str:
    """At most max_length characters, and nothing for str.strip() to remove: empty, or the first
    and last characters are printable ASCII other than a space. (Any other character may sit
    in between: the API accepts it, and PostgreSQL's text holds no NUL nor lone surrogate.)"""
    return (
        f"({col} = '' OR length({col}) <= {max_length} AND ascii({col}) BETWEEN 33 AND 126"
        f" AND ascii(right({col}, 1)) BETWEEN 33 AND 126)"
    )


def _digits(expr: str) -> str:
    return f"(rtrim({expr}, '0123456789') = '')"


def _classify_sql(fmt: str, columns: dict[str, str], *, raw: str, row: str, safe: bool) -> str:
    """SQL creating the table `row` (line, ok, typed fields) from the table `raw`.

    One json_to_record call per NDJSON line takes the fields out (json, not jsonb: a number
    keeps its literal, so 5e0 is no id; a string field is its JSON text, the string quoted
    when it holds no backslash). Every other check is a cheap expression written out once:
    the statement has no subquery fence (OFFSET 0 / LIMIT), so PostgreSQL may run it on
    parallel workers. `ok` marks a line the fast path stores (once _import_postgres has also
    checked that it does not lie in the future). With safe=False the casts are plain (faster) and
    fail on the first line that is not JSON or a date-time PostgreSQL takes; with safe=True
    such a value becomes NULL (and the line takes the Python path).
    """
    jsonb, ts = ("pg_temp.import_jsonb", "pg_temp.import_ts") if safe else ("", "")
    if fmt == "ndjson":
        if safe:
            parse = " LEFT JOIN LATERAL pg_temp.import_fields(v.raw) j ON true"
        else:
            parse = (
                " CROSS JOIN LATERAL json_to_record(CASE WHEN v.raw LIKE '{%%' THEN v.raw"
                f" ELSE '{{}}' END::json) AS j({_RECORD})"
            )
        where = " WHERE v.raw LIKE '{%%' OR btrim(v.raw, E' \\t\\r\\n') <> ''"
        contact, email, event_type, o = "j.contact", "j.email", "j.event_type", "j.occurred_at"

        def text_ok(n: str, max_length: int) -> str:
            # Absent (a null value is refused by the API), or a JSON string without escapes
            # whose first and last characters are printable ASCII other than a space.
            x = f"j.{n}::text"
            return (
                f"(j.{n} IS NULL AND strpos(v.raw, '\"{n}\"') = 0"
                f" OR left({x}, 1) = '\"' AND strpos({x}, '\\') = 0"
                f" AND length({x}) <= {max_length + 2} AND ({x} = '\"\"'"
                f" OR ascii(substr({x}, 2, 1)) BETWEEN 33 AND 126"
                f" AND ascii(substr({x}, length({x}) - 1, 1)) BETWEEN 33 AND 126))"
            )

        def text_value(n: str) -> str:
            x = f"j.{n}::text"
            return f"coalesce(substr({x}, 2, length({x}) - 2), '')"

        props_ok = (
            "(j.properties IS NULL AND strpos(v.raw, '\"properties\"') = 0"
            " OR left(j.properties::text, 1) = '{')"
        )
        props = (
            "CASE WHEN j.properties IS NULL THEN '{}'::jsonb"
            f" ELSE {jsonb}(j.properties::text)::jsonb END"
        )
    else:

        def cell(n):
            return f"nullif(v.{columns[n]}, '')" if n in columns else "NULL::text"

        parse, where = "", ""
        contact, email, event_type, o = (cell(n) for n in _FIELDS_CHECKED[:4])

        def text_ok(n: str, max_length: int) -> str:
            x = f"coalesce({cell(n)}, '')"
            return (
                f"({x} = '' OR length({x}) <= {max_length} AND ascii({x}) BETWEEN 33 AND 126"
                f" AND ascii(right({x}, 1)) BETWEEN 33 AND 126)"
            )

        def text_value(n: str) -> str:
            return f"coalesce({cell(n)}, '')"

        p = cell("properties")
        props_ok = f"(btrim(coalesce({p}, '')) = '' OR ltrim({p}) LIKE '{{%%')"
        props = (
            f"CASE WHEN btrim(coalesce({p}, '')) = '' THEN '{{}}'::jsonb"
            f" WHEN ltrim({p}) LIKE '{{%%' THEN {jsonb}({p})::jsonb END"
        )

    # occurred_at: YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z|±HH:MM], year 19xx/20xx (no offset only
    # when the API reads it in UTC too). PostgreSQL's reading of it, printed back in the line's
    # offset, must give the same 19 characters: that pins the digits and refuses 24:00 and leap
    # seconds (which PostgreSQL would roll over). An impossible date (Feb 30) fails the cast.
    shape = f"({o} LIKE '____-__-__T__:__:__%%' OR {o} LIKE '____-__-__ __:__:__%%')"
    sfx = (
        f"(CASE WHEN substr({o}, 20, 1) = '.' THEN ltrim(substr({o}, 21), '0123456789')"
        f" ELSE substr({o}, 20) END)"
    )
    offset_ok = (
        f"({sfx} LIKE '+__:__' OR {sfx} LIKE '-__:__')"
        f" AND {_digits(f'substr({sfx}, 2, 2) || right({sfx}, 2)')}"
        f" AND substr({sfx}, 2, 2) COLLATE \"C\" < '15' AND right({sfx}, 2) COLLATE \"C\" < '60'"
    )
    local = (
        f"CASE WHEN {sfx} IN ('Z', '+00:00', '-00:00') OR {sfx} = '' AND %(naive_ok)s"
        f" THEN {ts}({o})::timestamptz WHEN {offset_ok}"
        f" THEN {ts}({o})::timestamptz + {sfx}::interval END"
    )
    ts_ok = (
        f"{shape} AND left({o}, 2) IN ('19', '20')"
        f" AND length({o}) - length({sfx}) IN (19, 21, 22, 23, 24, 25, 26)"
        f" AND left(({local})::text, 19) = left({o}, 10) || ' ' || substr({o}, 12, 8)"
    )
    contact_id = (
        f"{email} IS NULL AND {contact} <> '' AND {_digits(contact)}"
        f" AND left({contact}, 1) <> '0' AND length({contact}) <= {_ID_MAX_DIGITS}"
    )
    email_ok = (
        f"{contact} IS NULL AND {email} ~ %(text_re)s AND length({email}) <= {EMAIL_MAX}"
        f" AND lower({email}) ~ %(email_re)s"
    )
    return f"""
CREATE UNLOGGED TABLE {row} AS
SELECT v.line,
  coalesce({event_type} = ANY(%(types)s) AND {props_ok}
    AND {text_ok("source", SOURCE_MAX)} AND {text_ok("external_id", EXTERNAL_ID_MAX)}
    AND ({contact_id} OR {email_ok}) AND {ts_ok}, false) AS ok,
  CASE WHEN {contact_id} THEN {contact}::bigint END AS contact_id,
  CASE WHEN {email_ok} THEN lower({email}) END AS email,
  {event_type} AS event_type,
  CASE WHEN {props_ok} THEN {props} END AS properties,
  CASE WHEN {shape} THEN {ts}({o})::timestamptz END AS occurred_at,
  {text_value("source")} AS source, {text_value("external_id")} AS external_id
FROM {raw} v{parse}{where}
"""


def _classify_params(now: datetime) -> dict:
    return {
        "latest": now + FUTURE_TOLERANCE,
        "types": sorted(EVENT_TYPES),
        "naive_ok": _naive_ok(),
        "text_re": _TEXT_RE,
        "email_re": _EMAIL_RE,
    }


def _import_postgres(
    path: Path, fmt: str, result: EventImportResult, *, now: datetime, indexes: str
) -> bool:
    """The fast path; False when the file must take the Python path (a malformed CSV).

    The two work tables are UNLOGGED ordinary tables, not temporary ones, so that PostgreSQL
    may read them with parallel workers; their names are unique to this import and they are
    dropped before the transaction ends (a failure rolls their creation back)."""
    tag = secrets.token_hex(6)
    raw, row = f"import_events_raw_{tag}", f"import_events_row_{tag}"
    with connection.cursor() as cur:
        cur.execute(_TEMP_FUNCTIONS)
        # jit: compiling the checks costs more than it saves. datestyle: the date-time check
        # compares PostgreSQL's printout with the line. memoize: caching json_to_record's
        # result keyed by whole lines only costs memory (every line is different).
        cur.execute(
            f"SET LOCAL jit = off; SET LOCAL work_mem = '{_WORK_MEM}';"
            " SET LOCAL datestyle = 'ISO, YMD'; SET LOCAL enable_memoize = off"
        )
        columns: dict[str, str] = {}
        rejected: list[tuple[int, str]] = []
        if fmt == "ndjson":
            cur.execute(
                f"CREATE UNLOGGED TABLE {raw} (line bigint GENERATED ALWAYS AS IDENTITY, raw text)"
            )
            _copy_ndjson(cur.cursor, raw, path, rejected)
        else:
            header = _csv_header(path)
            if header is None:
                return False
            columns = {name: f"c{i}" for i, name in enumerate(header) if name in FIELDS}
            cur.execute(
                f"CREATE UNLOGGED TABLE {raw}"
                " (line bigint GENERATED ALWAYS AS IDENTITY (START WITH 2), "
                + ", ".join(f"c{i} text" for i in range(len(header)))
                + ")"
            )
            if not _copy_csv(cur.cursor, raw, path, len(header)):
                cur.execute(f"DROP TABLE {raw}")
                return False
        params = _classify_params(now)
        try:
            with transaction.atomic():  # a clean file (the usual backfill) needs no safe casts
                cur.execute(_classify_sql(fmt, columns, raw=raw, row=row, safe=False), params)
        except DataError:
            cur.execute(_classify_sql(fmt, columns, raw=raw, row=row, safe=True), params)
        # In the future, or a value the safe casts turned into NULL: the Python path decides.
        cur.execute(
            f"UPDATE {row} SET ok = false WHERE ok AND (occurred_at > %s"
            " OR occurred_at IS NULL OR properties IS NULL)",
            [params["latest"]],
        )
        cur.execute(f"ANALYZE {row}")
        cur.execute(f"SELECT count(*), count(*) FILTER (WHERE ok) FROM {row}")
        lines, fast = cur.fetchone()
        result.total = lines + len(rejected)
        result.rejected.extend(rejected)

        # The other lines get the API's own verdict (and are stored by it when valid).
        _import_python(_slow_records(cur, fmt, columns, raw=raw, row=row), result, now=now)

        _resolve_emails(cur, row, now=now)
        unknown = _contacts_lock(cur, row)
        result.rejected.extend((line, "contact: No such contact.") for line in unknown)
        fast -= len(unknown)
        new = fast
        check_stored = _sources_stored(cur, row)
        if check_stored:
            new -= _stored_count(cur, row)

        rebuild = new > 0 and (
            indexes == "rebuild" or (indexes == "auto" and _rebuild_pays(cur, new))
        )
        dropped = event_indexes_drop(cur) if rebuild else []
        created = _insert(cur, row, now=now, check_stored=check_stored) if new > 0 else 0
        if dropped:
            # Pending (deferred) foreign-key checks must run before an index can be built.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in dropped:
                cur.execute(definition)
        result.indexes_rebuilt = bool(dropped)
        cur.execute(f"DROP TABLE {raw}, {row}")
        result.created += created
        result.duplicates += fast - created
    return True


def _copy_ndjson(raw_cursor, table: str, path: Path, rejected: list[tuple[int, str]]) -> None:
    """COPY every physical line as one text value (escaped for COPY's text format)."""
    number = 0
    with open(path, "rb") as fh, raw_cursor.copy(f"COPY {table} (raw) FROM STDIN") as copy:
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
            if b"\\" in block:
                block = block.replace(b"\\", b"\\\\")
            if b"\t" in block:
                block = block.replace(b"\t", b"\\t")
            if b"\r" in block:
                block = block.replace(b"\r", b"\\r")
            copy.write(block)


def _csv_header(path: Path) -> list[str] | None:
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header or any(_text_problem(name) for name in header):
        return None
    return [name.lstrip("\ufeff").strip() for name in header]


class _EndMarker(Exception):
    pass


def _copy_csv(raw_cursor, table: str, path: Path, width: int) -> bool:
    """COPY the CSV as is; False (nothing copied) when PostgreSQL cannot read it as a table
    of `width` columns, e.g. a row with a missing cell, a NUL byte or invalid UTF-8."""
    columns = ", ".join(f"c{i}" for i in range(width))
    try:
        with (
            transaction.atomic(),
            open(path, "rb") as fh,
            raw_cursor.copy(
                f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
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


def _slow_records(
    cur, fmt: str, columns: dict[str, str], *, raw: str, row: str
) -> Iterator[tuple[int, dict | None, str]]:
    """The lines the fast path did not accept, parsed as the Python path parses them."""
    if fmt == "ndjson":
        cur.execute(
            f"SELECT w.line, r.raw FROM {row} w JOIN {raw} r USING (line)"
            " WHERE NOT w.ok ORDER BY w.line"
        )
        for line, text in cur.fetchall():
            yield line, *_ndjson_record(text)
    else:
        names = list(columns)
        select = ", ".join(f"r.{columns[name]}" for name in names) or "NULL"
        cur.execute(
            f"SELECT w.line, {select} FROM {row} w JOIN {raw} r"
            " USING (line) WHERE NOT w.ok ORDER BY w.line"
        )
        for line, *values in cur.fetchall():
            yield line, *_csv_record(dict(zip(names, values, strict=False)))


def _resolve_emails(cur, row: str, *, now: datetime) -> None:
    """Contacts for the emails of accepted lines: unknown ones are created as the API does."""
    cur.execute(f"SELECT DISTINCT email FROM {row} WHERE ok AND contact_id IS NULL")
    emails = [email for (email,) in cur.fetchall()]
    if not emails:
        return
    cur.execute(
        f"SELECT lower(email) FROM {_CONTACTS} WHERE lower(email) = ANY(%s::text[])", [emails]
    )
    missing = sorted(set(emails) - {email for (email,) in cur.fetchall()})
    if missing:
        contacts_create_for_emails(emails=missing, by=None, now=now)
    cur.execute(
        f"UPDATE {row} w SET contact_id = c.id FROM {_CONTACTS} c"
        " WHERE w.ok AND w.contact_id IS NULL AND lower(c.email) = w.email"
    )


def _contacts_lock(cur, row: str) -> list[int]:
    """Lock the contacts the accepted lines name (FOR KEY SHARE, as a foreign-key check does,
    so none can be deleted before this transaction ends); unknown ones reject their lines.

    Returns the rejected line numbers."""
    cur.execute(
        f"WITH known AS (SELECT c.id FROM {_CONTACTS} c"
        f" WHERE c.id IN (SELECT contact_id FROM {row} WHERE ok) FOR KEY SHARE OF c)"
        f" UPDATE {row} w SET ok = false WHERE w.ok"
        " AND NOT EXISTS (SELECT 1 FROM known k WHERE k.id = w.contact_id) RETURNING w.line"
    )
    return [line for (line,) in cur.fetchall()]


def _sources_stored(cur, row: str) -> bool:
    """Whether the events table holds keyed events of a source the file uses: only then can a
    line be a duplicate of a stored event. (One index probe per source.)"""
    cur.execute(
        f"SELECT DISTINCT source FROM {row} WHERE ok AND external_id <> '' LIMIT %s",
        [_SOURCES_PROBED + 1],
    )
    sources = [source for (source,) in cur.fetchall()]
    if len(sources) > _SOURCES_PROBED:
        return True
    for source in sources:
        cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM {_EVENTS} WHERE source = %s AND external_id <> '')",
            [source],
        )
        if cur.fetchone()[0]:
            return True
    return False


_SOURCES_PROBED = 100


def _stored_count(cur, row: str) -> int:
    """How many accepted lines name a (source, external_id) already stored."""
    cur.execute(
        f"SELECT count(*) FROM {row} w WHERE ok AND external_id <> '' AND EXISTS (SELECT 1"
        f" FROM {_EVENTS} e WHERE e.source = w.source AND e.external_id = w.external_id"
        " AND e.external_id <> '')"
    )
    return cur.fetchone()[0]


_CONFLICT = "ON CONFLICT (source, external_id) WHERE NOT (external_id = '') DO NOTHING"


def _insert(cur, row: str, *, now: datetime, check_stored: bool) -> int:
    """INSERT the accepted lines; returns how many were stored.

    The lines were checked against the stored keys, so a plain INSERT does: it is much cheaper
    than ON CONFLICT. When allowed, the per-row foreign-key trigger is skipped
    (session_replication_role = replica, for this statement only): _contacts_lock has checked
    and locked every contact the rows name. The plain INSERT fails with a unique violation when
    the file repeats a key on two lines (unusual for an export) or a concurrent transaction
    stores one of the keys meanwhile, and with a deadlock when the two wait for each other:
    then it is rolled back to its savepoint and done again with ON CONFLICT DO NOTHING, in key
    order, and line order within a key (the first line of a repeated key is stored)."""
    sql = (
        f"INSERT INTO {_EVENTS} (contact_id, event_type, properties, occurred_at, source,"
        " external_id, received_at)"
        " SELECT contact_id, event_type, properties, occurred_at, source, external_id, %s"
        f" FROM {row} w WHERE ok"
    )
    if check_stored:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {_EVENTS} e WHERE e.source = w.source"
            " AND e.external_id = w.external_id AND e.external_id <> '')"
        )
    try:
        with transaction.atomic():
            return _execute_without_fk_trigger(cur, sql, [now])
    except (IntegrityError, OperationalError) as exc:
        if not isinstance(exc.__cause__, (errors.UniqueViolation, errors.DeadlockDetected)):
            raise
    return _execute_without_fk_trigger(
        cur, f"{sql} ORDER BY source, external_id, line {_CONFLICT}", [now]
    )


def _execute_without_fk_trigger(cur, sql: str, params: list) -> int:
    """Run an INSERT into the events table with its foreign-key trigger off when
    _fk_trigger_skippable allows it; returns the row count."""
    skip_trigger = _fk_trigger_skippable(cur)
    cur.execute(sql, params)
    created = cur.rowcount
    if skip_trigger:
        cur.execute("SET LOCAL session_replication_role = origin")
    return created


def _fk_trigger_skippable(cur) -> bool:
    """Turn off the events table's foreign-key trigger for this transaction when that is
    allowed (superuser, or GRANT SET ON PARAMETER session_replication_role) and safe: the
    table's only trigger-checked constraint is its foreign key to contacts, which the import
    checks itself. The caller sets the role back to origin after its INSERT."""
    cur.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = %s::regclass"
        " AND NOT tgisinternal)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass"
        " AND contype IN ('c', 'f', 't', 'x') AND (contype <> 'f' OR confrelid <> %s::regclass"
        " OR conkey <> ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attname = 'contact_id')]))",
        [_EVENTS, _EVENTS, _CONTACTS, _EVENTS],
    )
    if not cur.fetchone()[0]:
        return False
    try:
        with transaction.atomic():
            cur.execute("SET LOCAL session_replication_role = replica")
    except ProgrammingError:  # not allowed for this role
        return False
    return True


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

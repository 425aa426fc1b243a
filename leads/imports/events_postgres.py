"""The PostgreSQL path of the events file import: COPY, the SQL checks, one INSERT ... SELECT.

See leads.imports.events_file for the steps; the checks themselves are leads.imports.events_sql.
"""

import csv
import secrets
from collections.abc import Iterator
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
from psycopg import errors

from leads.imports.events_ingest import contacts_create_for_emails
from leads.imports.events_records import (
    FIELDS,
    EventImportResult,
    csv_record,
    line_problem,
    ndjson_record,
    records_ingest,
)
from leads.imports.events_sql import TEMP_FUNCTIONS, classify_params, classify_sql
from leads.models import ActivityEvent, Contact

# "auto" rebuilds the non-unique indexes when the valid lines are at least this share of the
# rows already in the table: a rebuild sorts the whole table once per index, which on 2 cores
# costs about as much as maintaining the indexes for half as many inserted rows (rough figure).
REBUILD_SHARE = 0.5
_READ_HINT = 1 << 20
# For the hash joins and aggregates over the work tables (one import at a time, as a rule).
_WORK_MEM = "256MB"

_EVENTS = ActivityEvent._meta.db_table
_CONTACTS = Contact._meta.db_table


def events_import_postgres(
    path: Path, fmt: str, result: EventImportResult, *, now: datetime, indexes: str
) -> bool:
    """The fast path; False when the file must take the Python path (a malformed CSV).

    The two work tables are UNLOGGED ordinary tables, not temporary ones, so that PostgreSQL
    may read them with parallel workers; their names are unique to this import and they are
    dropped before the transaction ends (a failure rolls their creation back)."""
    tag = secrets.token_hex(6)
    raw, row = f"import_events_raw_{tag}", f"import_events_row_{tag}"
    with connection.cursor() as cur:
        cur.execute(TEMP_FUNCTIONS)
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
        params = classify_params(now)
        try:
            with transaction.atomic():  # a clean file (the usual backfill) needs no safe casts
                cur.execute(classify_sql(fmt, columns, raw=raw, row=row, safe=False), params)
        except DataError:
            cur.execute(classify_sql(fmt, columns, raw=raw, row=row, safe=True), params)
        # Too old, in the future, or a value the safe casts turned into NULL: the Python path
        # decides.
        cur.execute(
            f"UPDATE {row} SET ok = false WHERE ok AND (occurred_at > %s OR occurred_at < %s"
            " OR occurred_at IS NULL OR properties IS NULL)",
            [params["latest"], params["earliest"]],
        )
        cur.execute(f"ANALYZE {row}")
        cur.execute(f"SELECT count(*), count(*) FILTER (WHERE ok) FROM {row}")
        lines, fast = cur.fetchone()
        result.total = lines + len(rejected)
        result.rejected.extend(rejected)

        # The other lines get the API's own verdict (and are stored by it when valid).
        records_ingest(_slow_records(cur, fmt, columns, raw=raw, row=row), result, now=now)

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
                    reason = line_problem(line.decode("utf-8", "surrogateescape"))
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
    if not header or any(line_problem(name) for name in header):
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
            yield line, *ndjson_record(text)
    else:
        names = list(columns)
        select = ", ".join(f"r.{columns[name]}" for name in names) or "NULL"
        cur.execute(
            f"SELECT w.line, {select} FROM {row} w JOIN {raw} r"
            " USING (line) WHERE NOT w.ok ORDER BY w.line"
        )
        for line, *values in cur.fetchall():
            yield line, *csv_record(dict(zip(names, values, strict=False)))


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

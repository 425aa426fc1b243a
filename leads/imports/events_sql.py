"""The SQL that sorts an events file's lines, on PostgreSQL: plainly valid, or for Python to judge.

One CREATE TABLE AS statement reads the work table the file was copied into and writes, per
line, whether it is *plainly* valid — a conservative subset of what event_validate accepts (ISO
timestamps with a plausible date, plain ids, a simple email shape, ...) — and its typed fields.
No query runs here: leads.imports.events_postgres runs these statements.
"""

from datetime import datetime

from django.utils import timezone

from leads.imports.validation import (
    EARLIEST_EVENT,
    EMAIL_MAX,
    EVENT_TYPES,
    EXTERNAL_ID_MAX,
    FUTURE_TOLERANCE,
    SOURCE_MAX,
)

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
TEMP_FUNCTIONS = _TEMP_FUNCTIONS_SQL.replace("{record}", _RECORD)
_FIELDS_CHECKED = ("contact", "email", "event_type", "occurred_at", "source", "external_id")


def _naive_ok() -> bool:
    # A date-time without offset is read in the current time zone by the API and in the
    # session's (UTC) by PostgreSQL: it takes the fast path only when they are the same.
    return timezone.get_current_timezone_name() == "UTC"


def _plain(column: str, max_length: int) -> str:
    """At most max_length characters, and nothing for str.strip() to remove: empty, or the first
    and last characters are printable ASCII other than a space. (Any other character may sit
    in between: the API accepts it, and PostgreSQL's text holds no NUL nor lone surrogate.)"""
    return (
        f"({column} = '' OR length({column}) <= {max_length} AND ascii({column}) BETWEEN 33 AND 126"
        f" AND ascii(right({column}, 1)) BETWEEN 33 AND 126)"
    )


def _digits(expr: str) -> str:
    return f"(rtrim({expr}, '0123456789') = '')"


def classify_sql(fmt: str, columns: dict[str, str], *, raw: str, row: str, safe: bool) -> str:
    """SQL creating the table `row` (line, ok, typed fields) from the table `raw`.

    One json_to_record call per NDJSON line takes the fields out (json, not jsonb: a number
    keeps its literal, so 5e0 is no id; a string field is its JSON text, the string quoted
    when it holds no backslash). Every other check is a cheap expression written out once:
    the statement has no subquery fence (OFFSET 0 / LIMIT), so PostgreSQL may run it on
    parallel workers. `ok` marks a line the fast path stores (once events_import_postgres has also
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
        contact, email, event_type, occurred = (
            "j.contact",
            "j.email",
            "j.event_type",
            "j.occurred_at",
        )

        def text_ok(name: str, max_length: int) -> str:
            # Absent (a null value is refused by the API), or a JSON string without escapes
            # whose first and last characters are printable ASCII other than a space.
            text = f"j.{name}::text"
            return (
                f"(j.{name} IS NULL AND strpos(v.raw, '\"{name}\"') = 0"
                f" OR left({text}, 1) = '\"' AND strpos({text}, '\\') = 0"
                f" AND length({text}) <= {max_length + 2} AND ({text} = '\"\"'"
                f" OR ascii(substr({text}, 2, 1)) BETWEEN 33 AND 126"
                f" AND ascii(substr({text}, length({text}) - 1, 1)) BETWEEN 33 AND 126))"
            )

        def text_value(name: str) -> str:
            text = f"j.{name}::text"
            return f"coalesce(substr({text}, 2, length({text}) - 2), '')"

        props_ok = (
            "(j.properties IS NULL AND strpos(v.raw, '\"properties\"') = 0"
            " OR left(j.properties::text, 1) = '{')"
        )
        props = (
            "CASE WHEN j.properties IS NULL THEN '{}'::jsonb"
            f" ELSE {jsonb}(j.properties::text)::jsonb END"
        )
    else:

        def cell(name):
            return f"nullif(v.{columns[name]}, '')" if name in columns else "NULL::text"

        parse, where = "", ""
        contact, email, event_type, occurred = (cell(name) for name in _FIELDS_CHECKED[:4])

        def text_ok(name: str, max_length: int) -> str:
            return _plain(f"coalesce({cell(name)}, '')", max_length)

        def text_value(name: str) -> str:
            return f"coalesce({cell(name)}, '')"

        props_cell = cell("properties")
        props_ok = f"(btrim(coalesce({props_cell}, '')) = '' OR ltrim({props_cell}) LIKE '{{%%')"
        props = (
            f"CASE WHEN btrim(coalesce({props_cell}, '')) = '' THEN '{{}}'::jsonb"
            f" WHEN ltrim({props_cell}) LIKE '{{%%' THEN {jsonb}({props_cell})::jsonb END"
        )

    # occurred_at: YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z|±HH:MM], year 19xx/20xx (no offset only
    # when the API reads it in UTC too). PostgreSQL's reading of it, printed back in the line's
    # offset, must give the same 19 characters: that pins the digits and refuses 24:00 and leap
    # seconds (which PostgreSQL would roll over). An impossible date (Feb 30) fails the cast.
    shape = f"({occurred} LIKE '____-__-__T__:__:__%%' OR {occurred} LIKE '____-__-__ __:__:__%%')"
    suffix = (
        f"(CASE WHEN substr({occurred}, 20, 1) = '.' THEN ltrim(substr({occurred}, 21), '0123456789')"
        f" ELSE substr({occurred}, 20) END)"
    )
    offset_ok = (
        f"({suffix} LIKE '+__:__' OR {suffix} LIKE '-__:__')"
        f" AND {_digits(f'substr({suffix}, 2, 2) || right({suffix}, 2)')}"
        f" AND substr({suffix}, 2, 2) COLLATE \"C\" < '15' AND right({suffix}, 2) COLLATE \"C\" < '60'"
    )
    local = (
        f"CASE WHEN {suffix} IN ('Z', '+00:00', '-00:00') OR {suffix} = '' AND %(naive_ok)s"
        f" THEN {ts}({occurred})::timestamptz WHEN {offset_ok}"
        f" THEN {ts}({occurred})::timestamptz + {suffix}::interval END"
    )
    ts_ok = (
        f"{shape} AND left({occurred}, 2) IN ('19', '20')"
        f" AND length({occurred}) - length({suffix}) IN (19, 21, 22, 23, 24, 25, 26)"
        f" AND left(({local})::text, 19) = left({occurred}, 10) || ' ' || substr({occurred}, 12, 8)"
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
  CASE WHEN {shape} THEN {ts}({occurred})::timestamptz END AS occurred_at,
  {text_value("source")} AS source, {text_value("external_id")} AS external_id
FROM {raw} v{parse}{where}
"""


def classify_params(now: datetime) -> dict:
    """The parameters of classify_sql's statement."""
    return {
        "earliest": EARLIEST_EVENT,
        "latest": now + FUTURE_TOLERANCE,
        "types": sorted(EVENT_TYPES),
        "naive_ok": _naive_ok(),
        "text_re": _TEXT_RE,
        "email_re": _EMAIL_RE,
    }

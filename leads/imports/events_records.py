"""An events file read in Python: its lines as the API's records, and records stored in batches.

Both import paths use this: the portable one for every line, the PostgreSQL one for the lines
its SQL checks do not accept (leads.imports.events_postgres).
"""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.text import text_problem
from leads.imports.events_ingest import CREATED, DUPLICATE, MAX_BATCH, events_ingest

FIELDS = ("contact", "email", "event_type", "occurred_at", "properties", "source", "external_id")


@dataclass
class EventImportResult:
    total: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    contacts_created: int = 0
    indexes_rebuilt: bool = False
    report_path: Path | None = None


def _strict_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def ndjson_record(text: str) -> tuple[dict | None, str]:
    """One NDJSON line -> (record, "") or (None, reason)."""
    try:
        return json.loads(text, parse_constant=_strict_constant), ""
    except ValueError as exc:
        return None, f"line: Not valid JSON ({getattr(exc, 'msg', exc)})."


def csv_record(row: dict) -> tuple[dict | None, str]:
    """One CSV row -> an API-shaped record: empty cells are absent, properties is JSON text."""
    record = {name: row[name] for name in FIELDS if row.get(name) not in (None, "")}
    props = record.pop("properties", "")
    if props.strip():
        try:
            record["properties"] = json.loads(props, parse_constant=_strict_constant)
        except ValueError:
            return None, "properties: Not valid JSON."
    return record, ""


def file_records(path: Path, fmt: str) -> Iterator[tuple[int, dict | None, str]]:
    """Yield (line number, record or None, reason) for every non-blank line / CSV row."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
        if fmt == "ndjson":
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                reason = line_problem(line)
                yield number, *((None, reason) if reason else ndjson_record(line))
        else:
            reader = csv.DictReader(fh)
            if reader.fieldnames:
                reader.fieldnames = [name.lstrip("\ufeff").strip() for name in reader.fieldnames]
            for row in reader:
                reason = line_problem("".join(v for v in row.values() if isinstance(v, str)))
                yield reader.line_num, *((None, reason) if reason else csv_record(row))


def line_problem(text: str) -> str:
    problem = text_problem(text)
    return f"line: {problem}" if problem else ""


def _reason(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{'line' if name == 'non_field_errors' else name}: {' '.join(messages)}"
        for name, messages in errors.items()
    )


def records_ingest(
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

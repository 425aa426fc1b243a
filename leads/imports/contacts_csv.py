"""Import of contacts from a CSV file (browser upload, `manage.py import_contacts`, Celery task).

Rules:
- The file is UTF-8 (with or without a byte-order mark); the delimiter (, ; tab |) is sniffed.
  The first line names the columns; a mapping says which column feeds which field. Columns mapped
  to ATTRIBUTE go into the contact's custom attributes under the column's name.
- Contacts are upserted by email, case-insensitively. New contacts start in stage `lead` (or
  `subscriber` if asked), each with its first StageChange row, as contact_create writes them.
- An empty cell leaves the stored value alone: an import never blanks a field.
- Companies are matched by domain (case-insensitively), or, without a domain, by name among
  companies that have no domain.
- A row that fails validation (bad email, number, country, unknown choice value or owner) is
  rejected with the column and field it is about; it writes nothing. Other rows are imported.
- The same email twice in a file: rows apply in file order, so the last non-empty value wins;
  the first row counts as created (or updated) and the later ones as updated (or unchanged).
- Work is set-based in chunks of CHUNK rows: per chunk one query for the owners, one or two for
  the companies, one for the contacts, then bulk INSERTs and UPDATEs, in one transaction. A job's
  progress is saved after each chunk. A failure stops the import; the chunks before it stay
  imported (re-running the file is safe: it is an upsert).
- The contacts a chunk created or changed are queued for an incremental rescore when it commits.

This module reads the file and runs the import; the mapping and the checks of each value are
leads.imports.contacts_mapping's, the writes leads.imports.contacts_write's, and browser uploads
run as jobs (leads.imports.jobs).
"""

import csv
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.db import analyze
from core.exceptions import DomainError
from core.spreadsheet import csv_writer
from core.text import text_problem
from leads.imports.contacts_mapping import (
    CREATED,
    REJECTED,
    SKIP,
    UNCHANGED,
    UPDATED,
    ContactRow,
    contact_row_parse,
    mapping_validate,
)
from leads.imports.contacts_write import contacts_chunk_write
from leads.models import Company, Contact, LifecycleStage, StageChange

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHUNK = 5_000
REJECTED_KEPT = 1_000  # rejected rows kept on the job for the report page; all go to the CSV
MAX_COLUMNS = 200
SNIFF_BYTES = 64 * 1024
INITIAL_STAGES = (LifecycleStage.LEAD, LifecycleStage.SUBSCRIBER)


# --- reading the file -------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvInfo:
    headers: list[str]
    delimiter: str
    preview: list[list[str]]
    total_rows: int


def _open(path: Path):
    return open(path, encoding="utf-8-sig", newline="")


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def csv_rows(path: Path) -> tuple[list[str], str, Iterator[tuple[int, list[str]]], object]:
    """Headers, delimiter and an iterator of (line number, cells) after the header line."""
    fh = _open(path)
    try:
        delimiter = _sniff_delimiter(fh.read(SNIFF_BYTES))
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        headers = [h.strip() for h in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        fh.close()
        raise DomainError(_read_error(exc), field="file") from None

    def rows():
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            message = f"Line {reader.line_num + 1}: {_read_error(exc)}"
            raise DomainError(message, field="file") from None
        finally:
            fh.close()

    return headers, delimiter, rows(), fh


def _read_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "The file is not a UTF-8 text file; save it as CSV (UTF-8) and upload it again."
    return f"The file is not a readable CSV file ({exc})."


def csv_inspect(*, path: Path, preview_rows: int = 5) -> CsvInfo:
    """Check that a file is a CSV with a usable header line; its headers, a preview, its size."""
    headers, delimiter, rows, fh = csv_rows(path)
    try:
        if not any(headers):
            raise DomainError(
                "The file is empty; the first line must name the columns.", field="file"
            )
        if len(headers) > MAX_COLUMNS:
            raise DomainError(f"The file has more than {MAX_COLUMNS} columns.", field="file")
        for number, header in enumerate(headers, start=1):
            if not header:
                raise DomainError(f"Column {number} has no name in the first line.", field="file")
            if problem := text_problem(header):
                raise DomainError(f"Column {number}'s name: {problem}", field="file")
        seen = set()
        for header in headers:
            if header.lower() in seen:
                raise DomainError(f"Column {header!r} appears twice.", field="file")
            seen.add(header.lower())
        preview, total = [], 0
        for _line, cells in rows:
            total += 1
            if len(preview) < preview_rows:
                preview.append((cells + [""] * len(headers))[: len(headers)])
        if total == 0:
            raise DomainError("The file has a header line but no rows.", field="file")
    finally:
        fh.close()
    return CsvInfo(headers=headers, delimiter=delimiter, preview=preview, total_rows=total)


# --- the import -------------------------------------------------------------------------------


@dataclass
class ContactImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The first REJECTED_KEPT rejected rows: [line, column (field), reason].
    rejected_rows: list[list] = field(default_factory=list)
    rejected_path: Path | None = None


def contacts_import(
    *,
    path: Path,
    mapping: dict[str, str],
    by: "User | None" = None,
    stage: str = LifecycleStage.LEAD,
    reason: str = "",
    rejected_path: Path | None = None,
    progress: Callable[[ContactImportResult], None] | None = None,
    now: datetime | None = None,
) -> ContactImportResult:
    """Upsert the contacts of a CSV file by email; see the module docstring for the rules.

    Rejected rows are written to `rejected_path` (CSV: line, column, reason, then the row's own
    cells) when given; `progress` is called after each chunk with the counts so far.
    """
    if stage not in INITIAL_STAGES:
        raise DomainError(
            f"New contacts start in {' or '.join(INITIAL_STAGES)}, not {stage!r}.", field="stage"
        )
    now = now or timezone.now()
    reason = reason or f"Imported from {path.name}"
    headers, _delimiter, rows, fh = csv_rows(path)
    with ExitStack() as stack:
        stack.callback(fh.close)
        mapping = mapping_validate(mapping=mapping, headers=headers)
        columns = [
            (index, header, mapping[header])
            for index, header in enumerate(headers)
            if mapping[header] != SKIP
        ]
        result = ContactImportResult(rejected_path=rejected_path)
        rejected_writer = None
        if rejected_path is not None:
            out = stack.enter_context(open(rejected_path, "w", encoding="utf-8", newline=""))
            rejected_writer = csv_writer(out)
            rejected_writer.writerow(["line", "column", "reason", *headers])
        chunk: list[ContactRow] = []
        for line, cells in rows:
            chunk.append(contact_row_parse(line=line, cells=cells, columns=columns))
            if len(chunk) == CHUNK:
                _chunk_run(
                    chunk, result, rejected_writer, by=by, stage=stage, reason=reason, now=now
                )
                chunk = []
                if progress:
                    progress(result)
        if chunk:
            _chunk_run(chunk, result, rejected_writer, by=by, stage=stage, reason=reason, now=now)
    analyze(Contact, Company, StageChange)  # statistics for the planner (autovacuum may be off)
    return result


def _chunk_run(
    chunk: list[ContactRow],
    result: ContactImportResult,
    rejected_writer,
    *,
    by: "User | None",
    stage: str,
    reason: str,
    now: datetime,
) -> None:
    """Write one chunk (once more if a concurrent writer got in the way) and count its rows."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                contacts_chunk_write(rows=chunk, by=by, stage=stage, reason=reason, now=now)
            break
        except IntegrityError:
            # Someone created some of the same contacts or companies meanwhile: once more.
            for row in chunk:
                if row.outcome != REJECTED or row.reject and row.reject[0] == "owner":
                    row.outcome, row.reject = "", None
            if attempt:
                raise
    for row in chunk:
        result.total += 1
        if row.outcome == CREATED:
            result.created += 1
        elif row.outcome == UPDATED:
            result.updated += 1
        elif row.outcome == UNCHANGED:
            result.unchanged += 1
        else:
            result.rejected += 1
            column, why = row.reject
            if len(result.rejected_rows) < REJECTED_KEPT:
                result.rejected_rows.append([row.line, column, why])
            if rejected_writer is not None:
                rejected_writer.writerow([row.line, column, why, *row.cells])

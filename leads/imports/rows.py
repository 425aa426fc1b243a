"""The import of a CSV file of a registered kind (leads.imports.kinds), row by row through the
kind's own writer.

The file is read as contacts files are (contacts_csv.csv_rows: UTF-8, the delimiter sniffed,
blank lines skipped) and the result, the rejected-rows report and the progress are the same. A
row is its non-empty mapped cells by field (an empty cell is left out: the writer treats it as
not given); the kind's row_import writes it in a savepoint, and a DomainError rejects it with the
column and field it names, writing nothing. Rows are written in chunks of CHUNK, one transaction
each, and `progress` is called after each chunk: a failure stops the import, the chunks before
it stay imported.
"""

from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.exceptions import ConflictError, DomainError
from core.spreadsheet import cell_unescape, csv_writer
from core.text import text_problem
from leads.imports.contacts_csv import REJECTED_KEPT, ContactImportResult, csv_rows
from leads.imports.contacts_mapping import CREATED, SKIP, UNCHANGED, UPDATED
from leads.imports.kinds import ImportKind, kind_mapping_validate

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHUNK = 500  # rows per transaction (and per progress save)
ImportResult = ContactImportResult  # the counts and rejected rows of any kind of import


def rows_import(
    *,
    kind: ImportKind,
    path: Path,
    mapping: dict[str, str],
    by: "User | None" = None,
    rejected_path: Path | None = None,
    progress: Callable[[ImportResult], None] | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import the rows of a CSV file of `kind`; see the module docstring."""
    if kind.row_import is None:
        raise ValueError(f"The {kind.name} import has its own path")
    now = now or timezone.now()
    headers, _delimiter, rows, fh = csv_rows(path)
    with ExitStack() as stack:
        stack.callback(fh.close)
        mapping = kind_mapping_validate(kind=kind, mapping=mapping, headers=headers)
        columns = [
            (index, header, target)
            for index, header in enumerate(headers)
            if (target := mapping[header]) != SKIP
        ]
        result = ImportResult(rejected_path=rejected_path)
        rejected_writer = None
        if rejected_path is not None:
            out = stack.enter_context(open(rejected_path, "w", encoding="utf-8", newline=""))
            rejected_writer = csv_writer(out)
            rejected_writer.writerow(["line", "column", "reason", *headers])
        chunk: list[tuple[int, list[str]]] = []
        for line, cells in rows:
            chunk.append((line, cells))
            if len(chunk) == CHUNK:
                _chunk_run(kind, chunk, columns, result, rejected_writer, by=by, now=now)
                chunk = []
                if progress:
                    progress(result)
        if chunk:
            _chunk_run(kind, chunk, columns, result, rejected_writer, by=by, now=now)
    return result


def _chunk_run(
    kind: ImportKind,
    chunk: list[tuple[int, list[str]]],
    columns: list[tuple[int, str, str]],
    result: ImportResult,
    rejected_writer,
    *,
    by: "User | None",
    now: datetime,
) -> None:
    with transaction.atomic():
        for line, cells in chunk:
            result.total += 1
            outcome, reject = _row_run(kind, cells, columns, by=by, now=now)
            if outcome == CREATED:
                result.created += 1
            elif outcome == UPDATED:
                result.updated += 1
            elif outcome == UNCHANGED:
                result.unchanged += 1
            else:
                result.rejected += 1
                column, why = reject
                if len(result.rejected_rows) < REJECTED_KEPT:
                    result.rejected_rows.append([line, column, why])
                if rejected_writer is not None:
                    rejected_writer.writerow([line, column, why, *cells])


def _row_run(
    kind: ImportKind,
    cells: list[str],
    columns: list[tuple[int, str, str]],
    *,
    by: "User | None",
    now: datetime,
) -> tuple[str, tuple[str, str] | None]:
    """One row: (outcome, None), or ("rejected", (column (field), reason))."""
    column_of = {target: column for _index, column, target in columns}
    values = {}
    for index, column, target in columns:
        value = cell_unescape(cells[index].strip()).strip() if index < len(cells) else ""
        if problem := text_problem(value):
            return "rejected", (f"{column} ({target})", problem.rstrip(".").lower())
        if value:
            values[target] = value
    for target in kind.required:
        if target not in values:
            return "rejected", (f"{column_of[target]} ({target})", "is empty")
    try:
        with transaction.atomic():
            return kind.row_import(values=values, by=by, now=now), None
    except ConflictError:
        raise  # a concurrent writer: the import stops, its finished chunks stay
    except DomainError as exc:
        where = (
            f"{column_of[exc.field]} ({exc.field})"
            if exc.field in column_of
            else (exc.field or "row")
        )
        return "rejected", (where, exc.message)

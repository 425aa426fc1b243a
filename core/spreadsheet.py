"""The one CSV writer of every download and report LeadBridge writes.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (`=HYPERLINK(…)`, `@SUM(A1)`): text that came from a user or a file
is written with a leading apostrophe, which spreadsheets show as text and hide. Numbers, dates
and other non-text values are written as they are. `cell_unescape` undoes the escape, so a
rejected-rows report can be fixed and imported again without a stray apostrophe.
"""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_escape(value):
    if not isinstance(value, str):
        return "" if value is None else value
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def cell_unescape(text: str) -> str:
    """A cell as written by cell_escape, back to the text it escaped."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class _SafeWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([cell_escape(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(fh, **kwargs) -> _SafeWriter:
    """csv.writer(fh) whose text cells never start a formula."""
    return _SafeWriter(csv.writer(fh, **kwargs))


def csv_download(filename: str) -> tuple[HttpResponse, _SafeWriter]:
    """A CSV attachment named `filename` and the safe writer that fills it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv_writer(response)

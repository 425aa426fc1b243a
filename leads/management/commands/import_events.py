from pathlib import Path
from time import perf_counter

from django.core.management.base import BaseCommand, CommandError

from leads.imports.events_file import INDEX_MODES, events_import


class Command(BaseCommand):
    help = (
        "Import activity events from a CSV or NDJSON file (the API's fields and rules); "
        "idempotent on source + external_id; rejected lines go to a report."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["csv", "ndjson"], default=None)
        parser.add_argument("--report", default=None, help="Where to write rejected lines")
        parser.add_argument(
            "--indexes",
            choices=INDEX_MODES,
            default="auto",
            help=(
                "PostgreSQL: rebuild the events table's non-unique indexes after the insert "
                "instead of updating them row by row (locks the table for the import); "
                "auto does so when the file is large compared with the table"
            ),
        )

    def handle(self, *args, file, format, report, indexes, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        started = perf_counter()
        result = events_import(
            path=path, fmt=format, report_path=Path(report) if report else None, indexes=indexes
        )
        elapsed = perf_counter() - started
        rate = result.total / elapsed if elapsed else 0
        self.stdout.write(
            f"lines: {result.total}, created: {result.created}, duplicates: {result.duplicates}, "
            f"rejected: {len(result.rejected)}, contacts created: {result.contacts_created}"
            + (", indexes rebuilt" if result.indexes_rebuilt else "")
        )
        self.stdout.write(f"report: {result.report_path}")
        self.stdout.write(f"{elapsed:.2f} s, {rate:,.0f} lines/s")

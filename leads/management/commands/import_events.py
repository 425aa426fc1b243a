from pathlib import Path
from time import perf_counter

from django.core.management.base import BaseCommand, CommandError

from leads.importing import events_import


class Command(BaseCommand):
    help = "Import activity events from a CSV or NDJSON file (idempotent on source+external_id)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["csv", "ndjson"], default=None)
        parser.add_argument("--report", default=None, help="Where to write rejected lines")

    def handle(self, *args, file, format, report, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        started = perf_counter()
        try:
            result = events_import(
                path=path, fmt=format, report_path=Path(report) if report else None
            )
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8: {exc}") from exc
        elapsed = perf_counter() - started
        rate = result.total / elapsed if elapsed else 0
        self.stdout.write(
            f"lines: {result.total}, created: {result.created}, duplicates: {result.duplicates}, "
            f"rejected: {len(result.rejected)}, contacts created: {result.contacts_created}"
        )
        self.stdout.write(f"report: {result.report_path}")
        self.stdout.write(f"{elapsed:.2f} s, {rate:,.0f} lines/s")

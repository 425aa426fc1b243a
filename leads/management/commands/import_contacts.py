from pathlib import Path
from time import perf_counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from leads.imports.contacts_csv import INITIAL_STAGES, contacts_import, csv_inspect
from leads.imports.contacts_mapping import mapping_guess


class Command(BaseCommand):
    help = (
        "Import contacts from a CSV file: upsert by email (case-insensitive), companies by "
        "domain. Columns are mapped from their names unless --map says otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Map a CSV column to a field (repeatable); FIELD empty skips the column, "
            "'attribute' stores it as a custom attribute.",
        )
        parser.add_argument("--by", default=None, help="Username recorded as the importer")
        parser.add_argument("--stage", choices=INITIAL_STAGES, default=INITIAL_STAGES[0])
        parser.add_argument(
            "--report", default=None, help="Rejected rows CSV (default: FILE.rejected.csv)"
        )

    def handle(self, *args, file, map, by, stage, report, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = None
        if by:
            User = get_user_model()
            user = User.objects.filter(**{User.USERNAME_FIELD: by}).first()
            if user is None:
                raise CommandError(f"--by: no user {by!r}")
        report_path = Path(report) if report else path.with_name(f"{path.stem}.rejected.csv")
        started = perf_counter()
        try:
            mapping = mapping_guess(headers=csv_inspect(path=path, preview_rows=0).headers)
            for item in map:
                column, sep, target = item.partition("=")
                if not sep:
                    raise CommandError(f"--map {item!r}: expected COLUMN=FIELD")
                mapping[column.strip()] = target.strip()
            result = contacts_import(
                path=path, mapping=mapping, by=user, stage=stage, rejected_path=report_path
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
        elapsed = perf_counter() - started
        self.stdout.write(
            "mapping: " + ", ".join(f"{c}={t or '(skip)'}" for c, t in mapping.items())
        )
        self.stdout.write(
            f"rows: {result.total}, created: {result.created}, updated: {result.updated}, "
            f"unchanged: {result.unchanged}, rejected: {result.rejected}"
        )
        if result.rejected:
            self.stdout.write(f"rejected rows: {report_path}")
        else:
            report_path.unlink(missing_ok=True)
        rate = result.total / elapsed if elapsed else 0
        self.stdout.write(f"{elapsed:.2f} s, {rate:,.0f} rows/s")

"""Benchmark the contacts CSV import (`manage.py import_contacts`) on PostgreSQL.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge_bench DEBUG=1 \
    .venv/bin/python bench/import_contacts.py --rows 100000

Generates a CSV of N contacts (new emails each run; 1% of rows invalid, ~N/20 companies by
domain, two custom columns), imports it and prints rows/s; then imports the same file again,
which updates every contact (the second half of the rows change their job title), and prints
that too. Target: 100,000 rows in under a minute.
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from leads.imports.contacts_csv import contacts_import, csv_inspect  # noqa: E402
from leads.imports.contacts_mapping import mapping_guess  # noqa: E402
from leads.models import Contact  # noqa: E402

HEADERS = [
    "Email",
    "First name",
    "Last name",
    "Job title",
    "Seniority",
    "Department",
    "Country",
    "Source",
    "Company",
    "Domain",
    "Employees",
    "Plan",
    "Signup week",
]
SENIORITIES = ["entry", "senior", "manager", "Director", "VP", "c_level", ""]
DEPARTMENTS = ["marketing", "sales", "engineering", "IT", "finance", ""]


def write_csv(path: Path, rows: int, run: int, title_suffix: str = "") -> None:
    rng = random.Random(run)
    companies = max(1, rows // 20)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(rows):
            company = rng.randrange(companies)
            bad = i % 100 == 99
            writer.writerow(
                [
                    f"bench{run}-{i}@Example.com" if not bad else f"not-an-email-{i}",
                    f"First{i}",
                    f"Last{i}",
                    "Marketing Manager" + (title_suffix if i >= rows // 2 else ""),
                    rng.choice(SENIORITIES),
                    rng.choice(DEPARTMENTS),
                    rng.choice(["DE", "us", "FR", "GB", ""]),
                    "bench",
                    f"Company {run}-{company}",
                    f"c{run}-{company}.example",
                    str(10 + company % 5000),
                    rng.choice(["free", "pro", "enterprise"]),
                    f"2025-W{1 + i % 52:02d}",
                ]
            )


def run_import(path: Path) -> None:
    mapping = mapping_guess(headers=csv_inspect(path=path, preview_rows=0).headers)
    started = time.perf_counter()
    result = contacts_import(path=path, mapping=mapping, rejected_path=path.with_suffix(".rej"))
    elapsed = time.perf_counter() - started
    print(
        f"  rows {result.total:,}: created {result.created:,}, updated {result.updated:,}, "
        f"unchanged {result.unchanged:,}, rejected {result.rejected:,} — "
        f"{elapsed:.1f} s, {result.total / elapsed:,.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    run = int(time.time())
    tmp = Path(tempfile.mkdtemp())
    first, second = tmp / "contacts.csv", tmp / "contacts-again.csv"
    write_csv(first, args.rows, run)
    write_csv(second, args.rows, run, title_suffix=" EMEA")
    before = Contact.objects.count()
    print(f"{args.rows:,} rows, {Contact.objects.count():,} contacts in the database before")
    print("first import (creates):")
    run_import(first)
    print("same contacts again (updates half, the rest unchanged):")
    run_import(second)
    print(f"contacts added: {Contact.objects.count() - before:,}")


if __name__ == "__main__":
    main()

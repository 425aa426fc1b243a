"""Benchmark `manage.py import_events` on PostgreSQL.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge DEBUG=1 \
    .venv/bin/python bench/import_events.py --events 1000000

Generates an NDJSON (or CSV) file of N events for existing contacts (creates 1,000 contacts if
there are none), runs the import, prints events/s and checks that exactly N events were stored,
then runs it again: the second run must store nothing (idempotent on source + external_id).
--indexes auto|keep|rebuild is passed to events_import (see leads/imports/events_file.py).
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from leads.imports.events_file import INDEX_MODES, events_import  # noqa: E402
from leads.models import ActivityEvent, Contact, EventType, LifecycleStage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--format", choices=["ndjson", "csv"], default="ndjson")
    parser.add_argument("--indexes", choices=INDEX_MODES, default="auto")
    args = parser.parse_args()

    ids = list(Contact.objects.values_list("pk", flat=True)[:100_000])
    if not ids:
        now = timezone.now()
        Contact.objects.bulk_create(
            Contact(
                email=f"bench{i}@example.com",
                lifecycle_stage=LifecycleStage.LEAD,
                stage_entered_at=now,
            )
            for i in range(1000)
        )
        ids = list(Contact.objects.values_list("pk", flat=True))
    types = EventType.values
    run = int(time.time())
    base = datetime.now(UTC) - timedelta(days=90)
    tmp = Path(tempfile.mkdtemp()) / f"events.{args.format}"
    with open(tmp, "w", encoding="utf-8") as fh:
        if args.format == "csv":
            fh.write("contact,event_type,occurred_at,properties,source,external_id\n")
        for i in range(args.events):
            occurred = (base + timedelta(seconds=random.randrange(90 * 86400))).isoformat()
            row = {
                "contact": random.choice(ids),
                "event_type": random.choice(types),
                "occurred_at": occurred,
                "properties": {"url": f"/p/{i % 500}"},
                "source": f"bench{run}",
                "external_id": str(i),
            }
            if args.format == "csv":
                props = json.dumps(row["properties"]).replace('"', '""')
                fh.write(
                    f'{row["contact"]},{row["event_type"]},{occurred},"{props}",'
                    f"{row['source']},{i}\n"
                )
            else:
                fh.write(json.dumps(row) + "\n")
    before = ActivityEvent.objects.count()
    report = tmp.with_suffix(".rejected.csv")
    print(f"{before:,} events in the table; importing {args.events:,} {args.format} lines")
    started = time.perf_counter()
    result = events_import(path=tmp, report_path=report, indexes=args.indexes)
    elapsed = time.perf_counter() - started
    print(
        f"{args.events:,} lines in {elapsed:.1f} s: {args.events / elapsed:,.0f} events/s "
        f"(created {result.created:,}, rejected {len(result.rejected)}, "
        f"indexes rebuilt: {result.indexes_rebuilt})"
    )
    stored = ActivityEvent.objects.count() - before
    assert stored == result.created == args.events, (stored, result.created)
    started = time.perf_counter()
    again = events_import(path=tmp, report_path=report, indexes=args.indexes)
    elapsed = time.perf_counter() - started
    print(
        f"second run: created {again.created}, duplicates {again.duplicates:,}, {elapsed:.1f} s "
        f"({args.events / elapsed:,.0f} lines/s)"
    )
    assert again.created == 0 and ActivityEvent.objects.count() - before == args.events
    report.unlink()
    tmp.unlink()


if __name__ == "__main__":
    main()

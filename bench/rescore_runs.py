"""Benchmark the rescoring paths on PostgreSQL: full run, scheduled (dirty) run, one contact.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge_bench \\
    .venv/bin/python bench/rescore_runs.py --contacts 100000 --events 2000000 [--workers 2]

Generates data with `generate_data`'s generator when the database holds fewer contacts, makes
(or reuses) a 20-rule model "Bench" (10 fit, 10 engagement rules with 30/90-day windows and
caps), then prints:
  1. a full rescore: in this process (Celery eager) or, with --workers N and CELERY_BROKER_URL
     on Redis, through N real `celery worker` processes sharing the chunk tasks;
  2. the scheduled run right after it (nothing changed) and after --new-events new events;
  3. the incremental rescore of one contact (contacts_rescore), p50 / p95 over 200 contacts.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-rescore-only-not-a-real-secret-key-0123456789")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.celery import app  # noqa: E402
from leads.generate import data_generate  # noqa: E402
from leads.ingest import events_ingest  # noqa: E402
from leads.models import Contact  # noqa: E402
from scoring.models import RescoreRun, ScoringModel  # noqa: E402
from scoring.rescore import (  # noqa: E402
    contacts_rescore,
    plan_current,
    plan_steps,
    rescore_dirty_run,
    rescore_start,  # noqa: E402
)
from scoring.services import model_create, model_publish, rule_add  # noqa: E402

FIT = [
    ("job_title", "contains", "vp", 15), ("job_title", "contains", "head", 10),
    ("seniority", "in", ["c_level", "vp"], 20), ("department", "equals", "marketing", 10),
    ("country", "in", ["US", "GB", "DE"], 5), ("company.employee_count", "gte", 500, 15),
    ("company.industry", "in", ["software", "fintech"], 10), ("email", "email_domain_in",
    ["gmail.com", "yahoo.com"], -20), ("company.annual_revenue", "gte", 10_000_000, 10),
    ("source", "equals", "webinar", 5),
]  # fmt: skip
ENGAGEMENT = [
    ("page_view", 1, 30, 20), ("email_open", 1, 30, 10), ("email_click", 3, 30, 15),
    ("form_submit", 10, 90, 30), ("content_download", 5, 90, 20), ("webinar_attended", 10, 90, 20),
    ("demo_request", 25, 90, 50), ("video_watched", 2, 30, 10), ("trial_signup", 20, 90, 40),
    ("webinar_registered", 3, 90, 9),
]  # fmt: skip


def bench_model() -> None:
    model = ScoringModel.objects.filter(name="Bench").first()
    if model is not None and model.versions.exists():
        return
    model = model or model_create(
        data={"name": "Bench", "lookback_days": 365, "fit_min": 40, "engagement_min": 30,
              "grade_a_min": 60, "grade_b_min": 40, "grade_c_min": 20, "priority": 0},
        by=None,
    )  # fmt: skip
    for field, op, value, points in FIT:
        rule_add(model=model, kind="fit_rules",
                 data={"field": field, "operator": op, "value": value, "points": points})  # fmt: skip
    for event_type, points, days, cap in ENGAGEMENT:
        rule_add(model=model, kind="engagement_rules",
                 data={"event_type": event_type, "mode": "per_occurrence", "points": points,
                       "window_days": days, "cap": cap})  # fmt: skip
    model_publish(model=model, by=None, note="bench")  # queues a full run; the bench runs its own


def wait(run: RescoreRun, workers: list) -> RescoreRun:
    while True:
        run.refresh_from_db()
        if run.is_finished or any(w.poll() is not None for w in workers):
            return run
        time.sleep(0.05)


def full_rescore(n_workers: int) -> tuple[RescoreRun, float]:
    RescoreRun.objects.filter(status__in=["queued", "running"]).update(status="failed")
    if n_workers == 0:
        app.conf.task_always_eager = True
        started = time.perf_counter()
        run = rescore_start(by=None, reason="bench")
        run.refresh_from_db()
        return run, time.perf_counter() - started
    app.conf.task_always_eager = False
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "CELERY_TASK_DEFAULT_QUEUE": queue, "LOG_LEVEL": "WARNING"}
    workers = [
        subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-Q",
                queue,
                "-n",
                f"{queue}-{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        for i in range(n_workers)
    ]
    try:
        time.sleep(4)  # let the workers connect
        app.conf.task_default_queue = queue
        started = time.perf_counter()
        run = wait(rescore_start(by=None, reason="bench"), workers)
        return run, time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--new-events", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=0, help="0: in this process")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    have = Contact.objects.count()
    if have < args.contacts:
        print(f"generating {args.contacts - have:,} contacts, {args.events:,} events …", flush=True)
        # Made "yesterday", so the scheduled run does not see them as just changed.
        data_generate(
            contacts=args.contacts - have,
            events=args.events,
            seed=7,
            now=timezone.now() - timedelta(days=1),
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    app.conf.task_always_eager = True  # the publish's own full rescore runs here, not on a broker
    bench_model()
    print(f"{Contact.objects.count():,} contacts; plan {plan_current()}")

    run, seconds = full_rescore(args.workers)
    where = f"{args.workers} workers" if args.workers else "in process"
    print(f"full rescore ({where}): {seconds:.1f} s, {run.status}, {run.chunks_total} chunks, "
          f"{run.contacts_scored:,} scored, {run.scores_changed:,} changed, "
          f"{run.mqls_created:,} MQLs")  # fmt: skip

    started = time.perf_counter()
    dirty = rescore_dirty_run()
    print(f"scheduled run, nothing new: {time.perf_counter() - started:.2f} s, "
          f"{dirty.contacts_scored:,} contacts rescored")  # fmt: skip

    ids = list(Contact.objects.order_by("?").values_list("pk", flat=True)[: args.new_events])
    now = timezone.now()
    items = [
        {"contact": random.choice(ids), "event_type": "page_view",
         "occurred_at": (now - timedelta(minutes=random.randint(1, 50))).isoformat()}
        for _ in range(args.new_events)
    ]  # fmt: skip
    for start in range(0, len(items), 1000):
        events_ingest(items=items[start : start + 1000], by=None)
    started = time.perf_counter()
    dirty = rescore_dirty_run()
    print(f"scheduled run after {args.new_events:,} new events: "
          f"{time.perf_counter() - started:.2f} s, {dirty.contacts_scored:,} contacts rescored, "
          f"{dirty.scores_changed:,} changed")  # fmt: skip

    steps = plan_steps(plan_current())
    timings = []
    for pk in ids[:200]:
        started = time.perf_counter()
        contacts_rescore(contact_ids=[pk], steps=steps)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"one contact (contacts_rescore, plan loaded): p50 {statistics.median(timings):.2f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)]:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

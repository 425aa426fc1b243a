"""Benchmark scoring at scale on PostgreSQL: full, incremental and scheduled rescores.

Usage (run it under the shared lock; the database should hold the data already):
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/lb_bench \\
  CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
    flock /tmp/bench.lock .venv/bin/python bench/rescore.py --workers 2 --fresh

With --contacts N --events M it first generates data (generate_data's generator) until the
database holds N contacts. It makes (or reuses) two 20-rule models: "Bench" (10 fit rules,
10 engagement rules with 30/90-day windows and caps) and "Bench decay" (the same rules, every
engagement rule halving every 30 days); only one of them is active at a time. Then it prints,
each figure next to its target:

1. full rescores through N real `celery worker` processes on the Redis broker, chunk tasks,
   scores written (only changed ones): wall time, contacts scored, score rows written, history
   rows, and each worker's RSS at the start, at its peak and at the end (memory flat). For each
   model: a first run after switching to it, which writes every score (with --fresh the score
   tables are emptied first, as after a bulk load: inserts only), and a second run right after,
   which writes what changed in between (the target is about that one);
2. the reference per-contact evaluator (scoring/reference.py) on a sample, against the engine's
   cost per contact in the full run, and whether both agree on the sample;
3. the incremental rescore of one contact inside the task function (`contacts_rescore_task`:
   claim the marker, load the plan, score, write), after a new event for that contact;
4. the scheduled run: after the incremental part, idle, and after --new-events events (stored
   directly, as an event file import does: no incremental rescore is queued for them).
"""

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import threading
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

from django.db import DatabaseError, connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.celery import app  # noqa: E402
from leads.generate import data_generate  # noqa: E402
from leads.models import ActivityEvent, Contact  # noqa: E402
from scoring import reference, tasks  # noqa: E402
from scoring.engine import Scope, compute_chunk  # noqa: E402
from scoring.models import ContactScore, RescoreRun, ScoreHistory, ScoringModel  # noqa: E402
from scoring.rescore import (  # noqa: E402
    pending_mark,
    plan_current_steps,
    rescore_dirty_run,
    rescore_scheduled,
    rescore_start,  # noqa: E402
)
from scoring.services import model_create, model_publish, model_update, rule_add  # noqa: E402

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
MODELS = {"Bench": None, "Bench decay": 30}  # name → half-life of the engagement rules
UNUSED_QUEUE = f"bench-unused-{uuid.uuid4().hex[:8]}"  # what a publish or (de)activation sends


def loadavg() -> str:
    with open("/proc/loadavg") as fh:
        return fh.read().strip()


def load() -> str:
    return loadavg().split(" ")[0]


def quiet_rescores() -> None:
    """Publishing or (de)activating a model queues a full rescore whose begin task goes to a
    queue nobody reads; the bench starts its own runs, so that one is marked failed."""
    RescoreRun.objects.filter(status__in=["queued", "running"]).update(status="failed")
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(UNUSED_QUEUE)


def bench_models() -> None:
    for name, half_life in MODELS.items():
        model = ScoringModel.objects.filter(name=name).first()
        if model is not None and model.versions.exists():
            continue
        model = model or model_create(
            data={"name": name, "lookback_days": 365, "fit_min": 40, "engagement_min": 30,
                  "grade_a_min": 60, "grade_b_min": 40, "grade_c_min": 20, "priority": 0},
            by=None,
        )  # fmt: skip
        for field, op, value, points in FIT:
            rule_add(model=model, kind="fit_rules",
                     data={"field": field, "operator": op, "value": value, "points": points})  # fmt: skip
        for event_type, points, days, cap in ENGAGEMENT:
            rule = {"event_type": event_type, "mode": "per_occurrence", "points": points,
                    "window_days": days, "cap": cap}  # fmt: skip
            if half_life:
                rule["half_life_days"] = half_life
            rule_add(model=model, kind="engagement_rules", data=rule)
        model_publish(model=model, by=None, note="bench")
    quiet_rescores()


def use_model(name: str) -> None:
    """Make `name` the only active model (through the service, as the model page does)."""
    for model in ScoringModel.objects.all():
        model_update(model=model, data={"is_active": model.name == name})
    quiet_rescores()


class Workers:
    """N `celery worker --pool solo` processes on a queue of their own, with an RSS sampler."""

    def __init__(self, n: int):
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        env = {**os.environ, "CELERY_TASK_DEFAULT_QUEUE": self.queue, "LOG_LEVEL": "WARNING"}
        celery = str(Path(sys.executable).with_name("celery"))
        self.procs = [
            subprocess.Popen(
                [
                    celery,
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "solo",
                    "-Q",
                    self.queue,
                    "-n",
                    f"{self.queue}-{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for i in range(n)
        ]
        self.peaks = [0] * n
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        time.sleep(5)  # let them import Django and connect to the broker

    def rss(self) -> list[int]:
        """Each worker's resident set size in MB (0 once it has exited)."""
        sizes = []
        for proc in self.procs:
            try:
                with open(f"/proc/{proc.pid}/status") as fh:
                    kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
            except (FileNotFoundError, StopIteration, ProcessLookupError):
                kb = 0
            sizes.append(kb // 1024)
        return sizes

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peaks = [max(a, b) for a, b in zip(self.peaks, self.rss(), strict=True)]
            time.sleep(0.05)

    def settle(self) -> None:
        """Until the workers are idle: what the previous run left them (the routing of the MQLs
        it opened, rescores its stage moves queued) is not this run's time."""
        while self.alive():
            inspect = app.control.inspect(timeout=1.0)
            busy = [
                task
                for answer in (inspect.active() or {}, inspect.reserved() or {})
                for tasks_ in answer.values()
                for task in tasks_
            ]
            with app.connection_for_write() as conn, conn.channel() as channel:
                waiting = channel.client.llen(self.queue)
            if not busy and not waiting:
                break
            time.sleep(0.5)
        # And the server has written out what the previous run dirtied: a checkpoint that the
        # last run's writes set off would otherwise overlap this one (untimed; needs superuser).
        with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")

    def alive(self) -> bool:
        return all(proc.poll() is None for proc in self.procs)

    def stop(self) -> None:
        self._stop.set()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=60)


def analyze_scores() -> None:
    """What autovacuum would do after a run that rewrote the score tables (it is off on the
    development machine): without statistics the incremental statements pick poor plans."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {ContactScore._meta.db_table}, {ScoreHistory._meta.db_table}")


def run_waited(run: RescoreRun, workers: Workers) -> RescoreRun:
    """`run` once it has finished (or a worker died), refreshed."""
    while True:
        run.refresh_from_db()
        if run.is_finished or not workers.alive():
            return run
        time.sleep(0.02)


def full_rescore(workers: Workers | None, label: str, target: str) -> float:
    """One full rescore through the workers (or in this process); prints its figures."""
    if workers is None:
        app.conf.task_always_eager = True
        started = time.perf_counter()
        run = rescore_start(by=None, reason=f"bench: {label}")
        rss = ""
    else:
        app.conf.task_always_eager = False
        app.conf.task_default_queue = workers.queue
        workers.settle()
        before = workers.rss()
        workers.peaks = list(before)
        started = time.perf_counter()
        run = run_waited(rescore_start(by=None, reason=f"bench: {label}"), workers)
        rss = f"; worker RSS MB start {before}, peak {workers.peaks}, end {workers.rss()}"
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    app.conf.task_default_queue = UNUSED_QUEUE
    history = ScoreHistory.objects.filter(recorded_at=run.as_of).count()
    analyze_scores()
    own = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    print(f"  {label}: {seconds:.1f} s [target {target}] (the run itself, started to finished:"
          f" {own:.1f} s) — {run.status}, {run.chunks_total} "
          f"chunks, {run.contacts_scored:,} contacts scored, {run.scores_changed:,} score rows "
          f"written or removed, {history:,} history rows, {run.mqls_created:,} MQLs{rss} "
          f"(load {load()})", flush=True)  # fmt: skip
    return seconds / max(run.contacts_scored, 1)


def empty_score_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ContactScore._meta.db_table}, {ScoreHistory._meta.db_table}")


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    p95, p99 = ms[int(len(ms) * 0.95)], ms[int(len(ms) * 0.99)]
    return f"p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms"


def reference_vs_engine(sample: list[int], engine_per_contact: dict[str, float]) -> None:
    step = plan_current_steps()[0]
    now = timezone.now()
    started = time.perf_counter()
    expected = {}
    for pk in sample:
        contact = Contact.objects.select_related("company").get(pk=pk)
        result = reference.evaluate(step.spec, contact, list(contact.events.all()), now)
        if result is not None:
            expected[pk] = result
    per_contact = (time.perf_counter() - started) / len(sample)
    engine = {r.contact_id: r for r in compute_chunk(spec=step.spec, now=now,
                                                     scope=Scope(ids=tuple(sample)))}  # fmt: skip
    agree = sum(engine.get(pk) == expected.get(pk) for pk in sample)
    print(f"  reference evaluator: {per_contact * 1000:.2f} ms per contact over {len(sample)} "
          f"contacts (load {load()}); engine and reference agree on {agree}/{len(sample)}")  # fmt: skip
    for label, engine_seconds in engine_per_contact.items():
        print(f"  ratio vs the {label}: {per_contact / engine_seconds:,.0f}× faster per contact "
              f"({engine_seconds * 1e6:.1f} µs per contact) [target ≥ 250×]")  # fmt: skip


def one_contact(ids: list[int], warmup: int = 20) -> None:
    """The incremental task's function for one contact, right after a new event for it."""
    timings, changed = [], 0
    for i, pk in enumerate(ids):
        ActivityEvent.objects.create(
            contact_id=pk, event_type="page_view", occurred_at=timezone.now(),
            properties={"url": "/pricing"},
        )  # fmt: skip
        pending_mark(contact_ids=[pk], now=timezone.now())
        started = time.perf_counter()
        changed += tasks.contacts_rescore_task.run([pk])
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    print(f"  one contact, contacts_rescore_task after a new event ({len(timings)} contacts "
          f"after {warmup} warm-up calls, {changed} score rows written): {percentiles(timings)} "
          f"[target p95 < 2 ms] (load {load()})")  # fmt: skip


def scheduled(label: str) -> None:
    started = time.perf_counter()
    run = rescore_dirty_run()
    print(f"  scheduled run, {label}: {time.perf_counter() - started:.2f} s, "
          f"{run.contacts_scored:,} contacts rescored, {run.scores_changed:,} score rows "
          f"written (load {load()})", flush=True)  # fmt: skip


def scheduled_with_decay(workers: Workers) -> None:
    """The scheduled run with the decay model active: every contact with events in a decaying
    rule's window can have changed, so it hands them to a full run that the workers share."""
    use_model("Bench decay")
    full_rescore(workers, "Bench decay, after switching models", "—")
    for label in ("decay model active", "decay model active, again"):
        app.conf.task_default_queue = workers.queue
        started = time.perf_counter()
        run = run_waited(rescore_scheduled(), workers)
        app.conf.task_default_queue = UNUSED_QUEUE
        analyze_scores()
        print(f"  scheduled run, {label}: {time.perf_counter() - started:.1f} s — {run.kind} "
              f"run ({run.reason}), {run.contacts_scored:,} contacts scored, "
              f"{run.scores_changed:,} score rows written (load {load()})", flush=True)  # fmt: skip
    use_model("Bench")


def new_events(ids: list[int], n: int) -> None:
    now = timezone.now()
    ActivityEvent.objects.bulk_create(
        ActivityEvent(
            contact_id=random.choice(ids),
            event_type=random.choice(["page_view", "email_open"]),
            occurred_at=now - timedelta(minutes=random.randint(1, 50)),
            properties={},
        )  # fmt: skip
        for _ in range(n)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=0, help="generate data up to N contacts")
    parser.add_argument("--events", type=int, default=0, help="events to generate with them")
    parser.add_argument("--workers", type=int, default=2, help="0: in this process")
    parser.add_argument("--fresh", action="store_true",
                        help="empty the score tables before each first run (as after a bulk "
                        "load); only on a benchmark database")  # fmt: skip
    parser.add_argument("--sample", type=int, default=500, help="contacts for the reference")
    parser.add_argument("--one", type=int, default=500, help="contacts for the one-contact timing")
    parser.add_argument("--new-events", default="5000,50000", help="comma-separated counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--decay-scheduled", action="store_true",
                        help="also time the scheduled run with the decay model active")  # fmt: skip
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    random.seed(args.seed)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = UNUSED_QUEUE
    have = Contact.objects.count()
    if have < args.contacts:
        print(f"generating {args.contacts - have:,} contacts, {args.events:,} events …", flush=True)
        # Made "yesterday", so the scheduled run does not see them as just changed.
        data_generate(contacts=args.contacts - have, events=args.events, seed=7,
                      now=timezone.now() - timedelta(days=1))  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # After a bulk load: statistics for the planner, and the visibility map that lets the
        # engine read events from the covering index alone (autovacuum does both in time).
        cursor.execute(
            "VACUUM (ANALYZE) leads_activityevent, leads_contact, leads_company,"
            f" {ContactScore._meta.db_table}, {ScoreHistory._meta.db_table}"
        )
        seconds = time.perf_counter() - started
        names = ("shared_buffers", "work_mem", "max_parallel_workers_per_gather", "autovacuum")
        settings = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            settings.append(f"{name} {cursor.fetchone()[0]}")
    print(f"VACUUM (ANALYZE) of events, contacts, companies and scores: {seconds:.1f} s; "
          f"server: {', '.join(settings)}")  # fmt: skip
    bench_models()
    contacts = Contact.objects.count()
    events = ActivityEvent.objects.count()
    print(f"{contacts:,} contacts, {events:,} events; load {load()}", flush=True)

    print(f"full rescores ({args.workers or 'no'} Celery workers):")
    workers = Workers(args.workers) if args.workers else None
    per_contact = {}
    try:
        for name, target_first, target in (("Bench decay", "—", "< 20 s"),
                                           ("Bench", "—", "< 15 s, aim 10 s")):  # fmt: skip
            use_model(name)
            if args.fresh:
                empty_score_tables()
            first = full_rescore(workers, f"{name}, first run (every score written)", target_first)
            again = full_rescore(workers, f"{name}, again (only changes written)", target)
            if name == "Bench":
                per_contact = {"first full run": first, "second full run": again}
        if workers is not None and args.decay_scheduled:
            scheduled_with_decay(workers)
            full_rescore(workers, "Bench, after switching back", "—")
    finally:
        if workers is not None:
            workers.stop()

    ids = list(Contact.objects.values_list("pk", flat=True))
    reference_vs_engine(random.sample(ids, args.sample), per_contact)
    one_contact(random.sample(ids, args.one + 20))
    scheduled("after the one-contact part (its new events)")
    # The next run reads the new events above the watermark of the run before the last one
    # once more (an overlap for transactions still open at a run's start): idle is the one after.
    scheduled("nothing new since the last run (re-reads the overlap)")
    scheduled("nothing new (idle)")
    for n in [int(x) for x in args.new_events.split(",") if x.strip()]:
        new_events(ids, n)
        scheduled(f"after {n:,} new events")
    print(f"load average at the end: {loadavg()}")


if __name__ == "__main__":
    main()

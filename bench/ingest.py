"""Benchmark `POST /api/v1/events/` against gunicorn on PostgreSQL.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge_bench \
    .venv/bin/python bench/ingest.py --events 200000 --clients 2 --workers 2

Starts gunicorn itself (production settings: DEBUG off, on a free port), creates a marketing
user with an API token (and 1,000 contacts with `generate_data`'s generator if there are none),
sends N events in batches of 1,000 from C client threads, prints events/s, then checks that
every sent event is stored exactly once and that re-sending a batch stores nothing new.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-ingest-only-not-a-real-secret-key-0123456789")

import django  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402

from core import roles  # noqa: E402
from core.tokens import api_token_create  # noqa: E402
from leads.generate import data_generate  # noqa: E402
from leads.models import ActivityEvent, Contact, EventType  # noqa: E402

BATCH = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/events/", timeout=5)
            return server
        except (requests.ConnectionError, requests.Timeout):  # not listening, or still booting
            if server.poll() is not None:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer")


def bench_user() -> str:
    user, _ = User.objects.get_or_create(username="bench_ingest")
    user.groups.add(Group.objects.get(name=roles.MARKETING))
    _token, key = api_token_create(user=user)
    return key


def make_batches(count: int, ids: list[int], source: str) -> list[bytes]:
    rng = random.Random(1)
    types = EventType.values
    base = datetime.now(UTC) - timedelta(days=30)
    urls = ["/pricing", "/", "/product", "/blog/lead-scoring-101", "/docs/getting-started"]
    batches = []
    for start in range(0, count, BATCH):
        items = [
            {
                "contact": rng.choice(ids),
                "event_type": rng.choice(types),
                "occurred_at": (base + timedelta(seconds=rng.randrange(30 * 86400))).isoformat(),
                "properties": {"url": rng.choice(urls)},
                "source": source,
                "external_id": str(i),
            }
            for i in range(start, min(start + BATCH, count))
        ]
        batches.append(json.dumps(items).encode())
    return batches


def post(session: requests.Session, url: str, body: bytes) -> list[dict]:
    response = session.post(url, data=body, timeout=120)
    if response.status_code != 201:
        raise SystemExit(f"HTTP {response.status_code}: {response.text[:500]}")
    return response.json()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=2, help="client threads sending at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (and run migrate there).")

    ids = list(Contact.objects.order_by("id").values_list("pk", flat=True)[:100_000])
    if not ids:
        data_generate(contacts=1000, events=0, actor="bench_ingest")
        ids = list(Contact.objects.values_list("pk", flat=True))
    source = f"bench-ingest-{int(time.time())}"
    batches = make_batches(args.events, ids, source)
    key = bench_user()
    port = free_port()
    server = start_gunicorn(port, args.workers)
    url = f"http://127.0.0.1:{port}/api/v1/events/"
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    try:
        before = ActivityEvent.objects.count()
        queue = iter(batches)
        lock = threading.Lock()
        created = 0
        errors: list[BaseException] = []

        def client() -> None:
            nonlocal created
            session = requests.Session()
            session.headers.update(headers)
            try:
                while True:
                    with lock:
                        body = next(queue, None)
                    if body is None:
                        return
                    outcomes = post(session, url, body)
                    mine = sum(1 for o in outcomes if o["status"] == "created")
                    with lock:
                        created += mine
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                errors.append(exc)

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise SystemExit(f"a client failed: {errors[0]!r}")
        print(
            f"{args.events:,} events in {elapsed:.1f} s: {args.events / elapsed:,.0f} events/s "
            f"({args.clients} clients, {args.workers} gunicorn workers, batches of {BATCH:,})"
        )
        stored = ActivityEvent.objects.filter(source=source).count()
        added = ActivityEvent.objects.count() - before
        print(f"responses said created: {created:,}; stored: {stored:,}; table grew by {added:,}")
        assert created == stored == args.events, "every sent event must be stored once"
        assert (
            ActivityEvent.objects.filter(source=source).values("external_id").distinct().count()
            == args.events
        )

        session = requests.Session()
        session.headers.update(headers)
        again = post(session, url, batches[0])
        statuses = {o["status"] for o in again}
        after = ActivityEvent.objects.filter(source=source).count()
        print(f"re-sent a batch: outcomes {sorted(statuses)}, stored still {after:,}")
        assert statuses == {"duplicate"} and after == stored
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()

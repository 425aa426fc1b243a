"""Load-test the MQL queue: `GET /api/v1/queue/` and the `/queue/` page, 50 reps at once.

Usage:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadbridge_qbench \
    .venv/bin/python bench/queue_load.py --mqls 100000 --reps 50 --requests 40 --workers 4 \
    [--threads 1] [--think 0]
(after `manage.py collectstatic --noinput`: gunicorn runs with production settings)

Makes (once) N open, assigned MQLs with their SLA clocks spread over R reps of one team (the
data of bench/breach_scan.py), starts gunicorn with production settings on a free port, and lets
R client threads — one per rep, each with its own API token and browser session — alternate
between the API queue and the queue page. Each client first warms up (one request of each kind,
not counted: workers open their database connections and compile templates). Then each sends
its requests back to back (`--think 0`: 50 requests always in flight, a saturation test whose
latency is 50 / throughput) or pauses a random 0–2×`--think` seconds between them (reps reading
their queue). Prints p50 / p95 / p99 latency per endpoint and the throughput; every response
must be a 200 listing the rep's own MQLs.
Target: p95 under 150 ms for both with 50 concurrent reps and 100,000 open MQLs.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SECRET_KEY", "bench-queue-only-not-a-real-secret-key-0123456789")
import requests  # noqa: E402
from breach_scan import ensure_data  # noqa: E402  (also sets Django up)
from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,  # noqa: E402
)
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from ingest import free_port, start_gunicorn  # noqa: E402

from core.tokens import api_token_create  # noqa: E402

TEAM = "Queue load team"


def session_cookie(user) -> str:
    """A logged-in browser session for `user`, as the login page would make it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mqls", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="per rep, both endpoints")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean pause between a rep's requests, s"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: set DATABASE_URL.")
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        sys.exit("The page needs the static files' manifest: run manage.py collectstatic first.")
    rep_ids = ensure_data(args.mqls, reps=args.reps, team_name=TEAM)
    users = list(get_user_model().objects.filter(pk__in=rep_ids))
    clients = [(user, api_token_create(user=user)[1], session_cookie(user)) for user in users]
    connection.close()  # gunicorn's workers and the clients do the rest
    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    base = f"http://127.0.0.1:{port}"
    timings: dict[str, list[float]] = {"api": [], "page": []}
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(len(clients))

    def rep_loop(user, token, session_key):
        http = requests.Session()
        http.cookies.set(settings.SESSION_COOKIE_NAME, session_key)
        api_headers = {"Authorization": f"Token {token}"}
        pause = random.Random(user.pk)

        def get(kind: str):
            url = f"{base}/api/v1/queue/" if kind == "api" else f"{base}/queue/"
            started = time.perf_counter()
            response = http.get(url, headers=api_headers if kind == "api" else {}, timeout=60)
            elapsed = time.perf_counter() - started
            ok = response.status_code == 200 and (
                response.json()["count"] >= 1
                if kind == "api"
                else b"<tr data-url=" in response.content
            )
            return elapsed, ok, response.status_code

        try:
            for kind in timings:  # warm-up, not counted
                get(kind)
        finally:
            start_gate.wait()
        for i in range(args.requests):
            if args.think:
                time.sleep(pause.uniform(0, 2 * args.think))
            kind = "api" if i % 2 == 0 else "page"
            elapsed, ok, status_code = get(kind)
            with lock:
                timings[kind].append(elapsed)
                if not ok:
                    errors.append(f"{user.username} {kind}: HTTP {status_code}")

    threads = [threading.Thread(target=rep_loop, args=client) for client in clients]
    wall = time.perf_counter()
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        wall = time.perf_counter() - wall
        server.terminate()
        server.wait(timeout=30)
    total = sum(len(v) for v in timings.values())
    print(
        f"{args.mqls:,} open MQLs, {len(clients)} reps at once (think {args.think:g} s), "
        f"gunicorn -w {args.workers} --threads {args.threads}: "
        f"{total:,} requests in {wall:.1f} s ({total / wall:.0f} req/s), {len(errors)} errors"
    )
    for kind, values in timings.items():
        ms = [v * 1000 for v in values]
        print(
            f"  {kind:>4}: p50 {statistics.median(ms):6.1f} ms   p95 {percentile(ms, 0.95):6.1f} ms"
            f"   p99 {percentile(ms, 0.99):6.1f} ms   ({len(ms)} requests)"
        )
    if errors:
        print("errors:", *errors[:10], sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()

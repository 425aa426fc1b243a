"""Plain helpers of the worker fixtures (tests/conftest.py): where Redis and celery are."""

import os
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
WAIT_SECONDS = 60
CELERY = Path(sys.executable).with_name("celery")


def unavailable(reason: str) -> None:
    """Skip, or fail where LEADBRIDGE_REQUIRE_REDIS is set (CI sets it)."""
    if os.environ.get("LEADBRIDGE_REQUIRE_REDIS"):
        pytest.fail(f"{reason} (LEADBRIDGE_REQUIRE_REDIS is set)")
    pytest.skip(reason)


def database_url() -> str:
    """The test database's URL, for the worker process."""
    s = connection.settings_dict
    user = quote(s.get("USER") or "", safe="")
    password = quote(s.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(s['NAME'], safe='')}"


def worker_start(*, queue: str, tmp_path: Path, name: str, pool: str = "solo", env=None):
    """Start a `celery worker` subprocess on `queue` against the test database (as the `worker`
    fixture does), with `pool` (solo: one process; prefork: a master and one child) and extra
    environment. Its output goes to tmp_path/<name>.log (`process.log_path`). The caller ends
    it (worker_stop)."""
    import subprocess

    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "SECRET_KEY": "worker-test-only",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "LEADBRIDGE_VAR_DIR": str(tmp_path),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(env or {}),
    }
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                "1",
                "-Q",
                queue,
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}-{queue}@%h",
            ],  # fmt: skip
            cwd=Path(__file__).resolve().parent.parent,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process.log_path = log_path
    return process


def worker_stop(process) -> None:
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def worker_children(process) -> list[int]:
    """The pids of a prefork worker's pool processes (Linux /proc)."""
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []

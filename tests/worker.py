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

"""Helpers for the rescoring tests: run a full rescore to the end."""

from scoring.models import RescoreRun
from scoring.rescore import rescore_start

BIG = [{"field": "company.employee_count", "operator": "gte", "value": 500}]


def full_rescore(capture, *, by=None, now=None) -> RescoreRun:
    """Start a full rescore and let its tasks run (Celery is eager in the tests)."""
    with capture(execute=True):
        run = rescore_start(by=by, reason="test", now=now)
    run.refresh_from_db()
    return run

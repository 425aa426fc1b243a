"""Helpers for the rescoring tests: publish a model, run a full rescore to the end."""

from scoring.models import RescoreRun
from scoring.rescore import rescore_start
from scoring.services import model_create, model_publish, rule_add
from tests.scoring.conftest import BASE

CMO = {"field": "job_title", "operator": "contains", "value": "cmo", "points": 25}
VISIT = {"event_type": "page_view", "mode": "per_occurrence", "points": 5, "window_days": 30}
BIG = [{"field": "company.employee_count", "operator": "gte", "value": 500}]


def published_model(
    *, by, name="Default", priority=0, segment=(), fit=(CMO,), engagement=(VISIT,), **settings
):
    """A model with the given rules, published once (its full rescore is queued, not run)."""
    model = model_create(
        data={**BASE, **settings, "name": name, "priority": priority, "segment": list(segment)},
        by=by,
    )
    for rule in fit:
        rule_add(model=model, kind="fit_rules", data=rule)
    for rule in engagement:
        rule_add(model=model, kind="engagement_rules", data=rule)
    model_publish(model=model, by=by, note="v1")
    return model


def full_rescore(capture, *, by=None, now=None) -> RescoreRun:
    """Start a full rescore and let its tasks run (Celery is eager in the tests)."""
    with capture(execute=True):
        run = rescore_start(by=by, reason="test", now=now)
    run.refresh_from_db()
    return run

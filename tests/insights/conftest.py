"""Fixtures of the insights tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.services import stage_change
from scoring.selectors import latest_version
from tests.factories import CMO, VISIT, published_model
from tests.insights.calibration_history import decided_mql, won_deal


@pytest.fixture
def history(marketer, team, reps):
    """Six decided MQLs of model "Default" (fit rule A: job title contains 'cmo'; engagement
    rule B: page views), thresholds fit ≥ 20 and engagement ≥ 10:

    | # | fit, engagement | fired | decision          | later                |
    |---|-----------------|-------|-------------------|----------------------|
    | 1 | 60, 30          | A, B  | accepted          | won deal             |
    | 2 | 60, 10          | A     | accepted          |                      |
    | 3 | 60, 30          | A     | rejected, not ICP | moved to SQL by hand |
    | 4 | 20, 30          | B     | rejected, budget  |                      |
    | 5 | 20, 30          | B     | accepted          |                      |
    | 6 | 60, 10          | A     | accepted          |                      |

    plus one decided 200 days ago and one of another model: both outside every figure."""
    model = published_model(by=marketer, fit=(CMO,), engagement=(VISIT,))
    version = latest_version(model=model)
    a = model.fitrules.get().key
    b = model.engagementrules.get().key
    now = timezone.now()
    at = now - timedelta(days=10)
    rows = [
        (60, 30, (a, b), "accept", "not_icp", "spring"),
        (60, 10, (a,), "accept", "not_icp", "spring"),
        (60, 30, (a,), "reject", "not_icp", "spring"),
        (20, 30, (b,), "reject", "no_budget", "junk-list"),
        (20, 30, (b,), "accept", "no_budget", "junk-list"),
        (60, 10, (a,), "accept", "not_icp", "spring"),
    ]
    mqls = [
        decided_mql(
            version=version,
            outcome=outcome,
            qualified_at=at + timedelta(minutes=i),
            fit=fit,
            engagement=engagement,
            fired=fired,
            reason=reason,
            campaign=campaign,
        )
        for i, (fit, engagement, fired, outcome, reason, campaign) in enumerate(rows)
    ]
    won_deal(contact=mqls[0].contact, at=at + timedelta(days=2))
    mqls[2].contact.refresh_from_db()
    stage_change(
        contact=mqls[2].contact,
        to_stage="sql",
        reason="Called back",
        by=marketer,
        override=True,
        now=now,
    )
    decided_mql(
        version=version,
        outcome="reject",
        qualified_at=now - timedelta(days=200),
        fired=(a,),
    )
    other = published_model(by=marketer, name="Other", fit=(CMO,), engagement=(VISIT,))
    decided_mql(
        version=latest_version(model=other),
        outcome="reject",
        qualified_at=at,
        fired=(other.fitrules.get().key,),
    )
    return {"model": model, "a": a, "b": b, "now": now, "mqls": mqls}

"""Scoring's MQL transition opens the MQL that the handoff routes to a rep."""

from datetime import UTC, datetime

from handoff.models import Mql, MqlStatus, SlaClock, SlaKind
from leads.models import LifecycleStage
from scoring.models import Grade
from scoring.rescore.qualify import contacts_mql_qualify
from tests.factories import ContactFactory, ContactScoreFactory, ModelVersionFactory

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def test_contacts_that_qualify_become_open_mqls_assigned_to_a_rep(
    team, reps, django_capture_on_commit_callbacks
):
    # Default v1: job title contains 'head' → +60; each contact scored 90, a B.
    version = ModelVersionFactory(model__name="Default", published_at=NOW)
    contacts = [ContactFactory(lifecycle_stage=LifecycleStage.LEAD) for _ in range(2)]
    for contact in contacts:
        ContactScoreFactory(contact=contact, model_version=version, grade=Grade.B, scored_at=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        moved = contacts_mql_qualify(newly_eligible={c.pk: version for c in contacts}, now=NOW)

    assert sorted(moved) == sorted(c.pk for c in contacts)
    mqls = Mql.objects.filter(contact__in=contacts)
    assert {m.status for m in mqls} == {MqlStatus.OPEN}
    assert {m.owner for m in mqls} == set(reps)  # round-robin gave one to each
    assert {(m.model_version_id, m.total, m.grade) for m in mqls} == {(version.pk, 90, "B")}
    delivered = SlaClock.objects.filter(
        mql__in=mqls, kind=SlaKind.DELIVERY, stopped_at__isnull=False
    )
    assert delivered.count() == 2  # stopped when the queued assignment ran

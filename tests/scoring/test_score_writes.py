from datetime import timedelta

import pytest

from scoring.engine import Scope, compute_chunk, contact_id_chunks, score_chunk
from scoring.models import ContactScore, ScoreHistory
from scoring.services import model_publish, model_update
from scoring.spec import ModelSpec
from tests.factories import ActivityEventFactory, ContactFactory, published_model
from tests.scoring.conftest import NOW

ALL = Scope(lo=0, hi=2**62)


@pytest.fixture
def published(marketer):
    """Default v1: job title contains 'cmo' → +25, each page view in 30 days → +5."""
    return published_model(by=marketer).versions.get()


def visit(contact, days_ago):
    ActivityEventFactory(contact=contact, occurred_at=NOW - timedelta(days=days_ago))


def test_first_run_stores_scores_breakdown_version_and_history(published):
    cmo, other = ContactFactory(job_title="CMO"), ContactFactory(job_title="Intern")
    for days in (1, 2):
        visit(cmo, days)

    stats = score_chunk(version=published, now=NOW, scope=ALL)

    assert (stats.scored, stats.changed, stats.history) == (2, 2, 2)
    assert stats.newly_eligible == [cmo.pk]
    score = ContactScore.objects.get(contact=cmo)
    assert (score.fit, score.engagement, score.total, score.grade) == (25, 10, 35, "C")
    assert score.mql_eligible and score.model_version == published and score.scored_at == NOW
    fit_key, visit_key = (
        r["key"]
        for r in published.definition["fit_rules"] + published.definition["engagement_rules"]
    )
    assert score.breakdown == [{"rule": fit_key, "points": 25}, {"rule": visit_key, "points": 10}]
    assert ContactScore.objects.get(contact=other).breakdown == []


def test_second_run_with_nothing_changed_writes_nothing(published):
    contact = ContactFactory(job_title="CMO")
    visit(contact, 1)
    score_chunk(version=published, now=NOW, scope=ALL)

    stats = score_chunk(version=published, now=NOW + timedelta(hours=1), scope=ALL)

    assert (stats.scored, stats.changed, stats.history, stats.newly_eligible) == (1, 0, 0, [])
    assert ContactScore.objects.get().scored_at == NOW
    assert ScoreHistory.objects.count() == 1


def test_only_contacts_whose_score_changed_get_history(published):
    active, idle = ContactFactory(), ContactFactory()
    visit(idle, 1)
    score_chunk(version=published, now=NOW, scope=ALL)
    visit(active, 1)

    stats = score_chunk(version=published, now=NOW, scope=ALL)

    assert (stats.changed, stats.history) == (1, 1)
    assert list(
        ScoreHistory.objects.filter(contact=active).values_list("engagement", flat=True)
    ) == [0, 5]


def test_events_leaving_the_window_lower_the_score(published):
    contact = ContactFactory()
    visit(contact, 29)
    score_chunk(version=published, now=NOW, scope=ALL)

    stats = score_chunk(version=published, now=NOW + timedelta(days=2), scope=ALL)

    assert stats.history == 1
    assert ContactScore.objects.get().engagement == 0


def test_new_version_is_recorded_and_history_added_only_when_the_score_changes(marketer, published):
    contact = ContactFactory(job_title="CMO")
    score_chunk(version=published, now=NOW, scope=ALL)
    model_update(model=published.model, data={"description": "no rule change", "engagement_min": 0})
    v2 = model_publish(model=published.model, by=marketer, note="thresholds")

    stats = score_chunk(version=v2, now=NOW, scope=ALL)

    assert (stats.changed, stats.history) == (1, 1)  # mql_eligible flipped: engagement_min 0
    assert ContactScore.objects.get(contact=contact).model_version == v2
    model_update(model=published.model, data={"grade_a_min": 90})
    v3 = model_publish(model=published.model, by=marketer, note="bands")
    stats = score_chunk(version=v3, now=NOW, scope=ALL)
    assert (stats.changed, stats.history) == (1, 0)


def test_contacts_leaving_the_segment_lose_their_score(marketer, published):
    contact = ContactFactory(job_title="CMO", country="DE")
    score_chunk(version=published, now=NOW, scope=ALL)
    model_update(
        model=published.model,
        data={"segment": [{"field": "country", "operator": "equals", "value": "FR"}]},
    )
    v2 = model_publish(model=published.model, by=marketer, note="France only")

    stats = score_chunk(version=v2, now=NOW, scope=Scope(ids=(contact.pk,)))

    assert (stats.scored, stats.removed) == (0, 1)
    assert not ContactScore.objects.exists()


def test_chunks_cover_every_contact_once(published):
    contacts = [ContactFactory(job_title="CMO") for _ in range(7)]
    chunks = contact_id_chunks(size=3)
    assert len(chunks) == 3
    spec = ModelSpec.from_dict(published.definition)
    seen = [
        r.contact_id
        for lo, hi in chunks
        for r in compute_chunk(spec=spec, now=NOW, scope=Scope(lo=lo, hi=hi))
    ]
    assert sorted(seen) == sorted(c.pk for c in contacts)

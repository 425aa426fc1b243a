"""The scoring engine's anchored scope: each (contact, moment) row scored as of its own moment,
checked against the per-contact reference evaluator with the events after the moment ignored."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import Contact
from scoring import reference
from scoring.engine import Scope, compute_anchored, compute_chunk
from tests.factories import ActivityEventFactory, ContactFactory, make_spec
from tests.scoring.conftest import NOW
from tests.scoring.test_engine_matches_reference import _create, contacts, specs

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
ANCHORS = "pg_temp.calib_test_anchors"


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the anchors table of these tests is a PostgreSQL temporary table")


def _anchors(rows: list[tuple[int, int, object]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ANCHORS}")
        cursor.execute(
            f"CREATE TEMP TABLE {ANCHORS.split('.')[1]}"
            " (anchor_id bigint PRIMARY KEY, contact_id bigint, as_of timestamptz)"
        )
        for row in rows:
            cursor.execute(f"INSERT INTO {ANCHORS} VALUES (%s, %s, %s)", list(row))


def _expected(spec, contact, as_of):
    events = [e for e in contact.events.all() if e.occurred_at <= as_of]
    return reference.evaluate(spec, contact, events, as_of)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spec=specs(),
    rows=contacts,
    hours=st.lists(st.integers(-24, 24 * 100), min_size=1, max_size=3),
)
def test_anchored_scores_agree_with_the_reference_as_of_each_moment(spec, rows, hours):
    with transaction.atomic():
        _create(rows)
        moments = [NOW - timedelta(hours=h) for h in hours]
        pairs, anchor_id = [], 0
        for contact in Contact.objects.order_by("id"):
            for moment in moments:
                anchor_id += 1
                pairs.append((anchor_id, contact.pk, moment))
        _anchors(pairs)
        engine = dict(compute_anchored(spec=spec, scope=Scope(lo=1, hi=anchor_id, anchors=ANCHORS)))
        expected = {}
        contacts_by_id = {c.pk: c for c in Contact.objects.select_related("company")}
        for aid, cid, moment in pairs:
            result = _expected(spec, contacts_by_id[cid], moment)
            if result is not None:
                expected[aid] = result
        transaction.set_rollback(True)
    assert engine == expected


VIEWS = {"event_type": "page_view", "mode": "per_occurrence", "points": 5, "window_days": 30}
DECAYING = {**VIEWS, "half_life_days": 7}


def test_events_after_the_moment_are_ignored_and_windows_end_there():
    spec = make_spec(engagement_rules=[VIEWS], fit_rules=[], engagement_min=10, fit_min=0)
    contact = ContactFactory()
    for days_ago in (41, 25, 12, 5, 1):
        ActivityEventFactory(contact=contact, occurred_at=NOW - timedelta(days=days_ago))
    _anchors(
        [
            (1, contact.pk, NOW),  # 25, 12, 5, 1 days ago: 4 views
            (2, contact.pk, NOW - timedelta(days=10)),  # 12 and 25 days ago: 2; 5 and 1: later
            (3, contact.pk, NOW - timedelta(days=30)),  # 41 days ago is 11 days before: 1
            (4, contact.pk, NOW - timedelta(days=50)),  # nothing yet
        ]
    )
    results = dict(compute_anchored(spec=spec, scope=Scope(lo=1, hi=4, anchors=ANCHORS)))
    assert [results[i].engagement for i in (1, 2, 3, 4)] == [20, 10, 5, 0]
    assert [results[i].mql_eligible for i in (1, 2, 3, 4)] == [True, True, False, False]
    # As of now it is the engine's ordinary score.
    [now_score] = compute_chunk(spec=spec, now=NOW, scope=Scope(ids=(contact.pk,)))
    assert results[1] == now_score


def test_decay_is_anchored_at_the_moment():
    spec = make_spec(engagement_rules=[DECAYING], fit_rules=[], engagement_min=0, fit_min=0)
    contact = ContactFactory()
    ActivityEventFactory(contact=contact, occurred_at=NOW - timedelta(days=14))
    _anchors([(1, contact.pk, NOW), (2, contact.pk, NOW - timedelta(days=7))])
    results = dict(compute_anchored(spec=spec, scope=Scope(lo=1, hi=2, anchors=ANCHORS)))
    assert results[1].engagement == 1.25  # two half-lives: 5 × 0.25
    assert results[2].engagement == 2.5  # one half-life as of a week earlier


def test_only_the_anchor_range_is_scored_and_segment_still_applies():
    spec = make_spec(
        segment=[{"field": "job_title", "operator": "contains", "value": "head"}],
        engagement_rules=[VIEWS],
    )
    inside, outside = ContactFactory(job_title="Head of IT"), ContactFactory(job_title="Intern")
    _anchors([(1, inside.pk, NOW), (2, outside.pk, NOW), (3, inside.pk, NOW)])
    results = compute_anchored(spec=spec, scope=Scope(lo=1, hi=2, anchors=ANCHORS))
    assert [aid for aid, _ in results] == [1]


def test_an_anchors_name_must_be_a_plain_table_name():
    with pytest.raises(ValueError):
        Scope(lo=1, hi=2, anchors="x; DROP TABLE y")

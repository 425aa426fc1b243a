"""Compiled statements: cached per spec and scope shape, the one-contact path equal to the chunk
path, a new version never served an old statement, and the one-contact statement prepared."""

from datetime import timedelta

import pytest
from django.db import connection

from scoring.engine import Scope, compute_chunk, score_chunk
from scoring.engine.query import STATEMENTS, compiled_query
from scoring.models import ContactScore, ScoreHistory
from scoring.rescore import contacts_rescore
from scoring.services import model_publish, rule_update
from tests.factories import (
    CMO,
    ActivityEventFactory,
    CompanyFactory,
    ContactFactory,
    make_spec,
    published_model,
)
from tests.scoring.conftest import NOW

pytestmark = pytest.mark.django_db
ALL = Scope(lo=0, hi=2**62)
# Every kind of rule: a plain count with a cap, a rule on an event property (its own pass over
# the events), a decaying one and a "once at N" one.
RULES = {
    "fit_rules": [
        {"field": "job_title", "operator": "contains", "value": "cmo", "points": 25},
        {"field": "company.employee_count", "operator": "gte", "value": 100, "points": 10},
    ],
    "engagement_rules": [
        {"event_type": "page_view", "mode": "per_occurrence", "points": 5, "window_days": 30,
         "cap": 15},
        {"event_type": "page_view", "mode": "per_occurrence", "points": 10, "window_days": 60,
         "property_name": "url", "property_operator": "starts_with", "property_value": "/pricing"},
        {"event_type": "email_click", "mode": "per_occurrence", "points": 3,
         "half_life_days": 7},
        {"event_type": "form_submit", "mode": "once_at_count", "points": 20, "min_count": 2,
         "window_days": 90},
    ],
    "disqualifiers": [
        {"field": "email", "operator": "email_domain_in", "value": ["gmail.com"], "label": "Free"}
    ],
}  # fmt: skip


def contacts_with_events():
    big = CompanyFactory(employee_count=500)
    people = [
        ContactFactory(job_title="CMO", company=big),
        ContactFactory(job_title="Engineer", company=big),
        ContactFactory(job_title="cmo", company=None, email="a@gmail.com"),
        ContactFactory(job_title="Intern", company=None),
    ]
    events = [
        ("page_view", 1, "/pricing"), ("page_view", 3, "/blog"), ("page_view", 45, "/pricing/x"),
        ("email_click", 2, ""), ("email_click", 20, ""), ("form_submit", 10, ""),
        ("form_submit", 80, ""), ("page_view", 100, "/pricing"),
    ]  # fmt: skip
    for n, person in enumerate(people[:3]):
        for event_type, days, url in events[n:]:
            ActivityEventFactory(
                contact=person,
                event_type=event_type,
                occurred_at=NOW - timedelta(days=days, hours=n),
                properties={"url": url} if url else {},
            )
    return people


def test_one_contact_gets_the_same_scores_as_its_chunk():
    spec = make_spec(**RULES)
    people = contacts_with_events()

    chunk = {r.contact_id: r for r in compute_chunk(spec=spec, now=NOW, scope=ALL)}
    alone = {}
    for person in people:
        alone.update(
            (r.contact_id, r)
            for r in compute_chunk(spec=spec, now=NOW, scope=Scope(ids=(person.pk,)))
        )

    assert alone == chunk
    assert len({(r.fit, r.engagement) for r in chunk.values()}) == 4  # the contacts differ


def scores_written():
    return sorted(
        ContactScore.objects.values_list(
            "contact_id", "fit", "engagement", "total", "grade", "mql_eligible", "blocked_by",
            "breakdown",
        )
    )  # fmt: skip


def test_one_contact_writes_what_the_chunk_writes(marketer):
    model = published_model(by=marketer, **RULES)
    version = model.versions.get()
    people = contacts_with_events()

    stats = score_chunk(version=version, now=NOW, scope=ALL)
    by_chunk = scores_written()
    ContactScore.objects.all().delete()
    ScoreHistory.objects.all().delete()
    for person in people:
        score_chunk(version=version, now=NOW, scope=Scope(ids=(person.pk,)))

    assert stats.changed == 4
    assert scores_written() == by_chunk
    assert ScoreHistory.objects.count() == 4


def test_statements_are_compiled_once_per_spec_and_scope_shape():
    spec = make_spec(**RULES)
    STATEMENTS.clear()
    one = compiled_query(spec, shape="ids")
    assert compiled_query(make_spec(**RULES), shape="ids") is one  # same content, same entry
    assert compiled_query(spec, shape="range") is not one
    assert len(STATEMENTS) == 2


def test_a_new_version_is_never_scored_with_the_previous_statement(marketer):
    model = published_model(by=marketer, name="Default")
    contact = ContactFactory(job_title="CMO")
    contacts_rescore(contact_ids=[contact.pk], now=NOW)  # compiles and caches v1's statements
    assert ContactScore.objects.get(contact=contact).fit == CMO["points"]

    rule = model.fitrules.get()
    rule_update(rule=rule, data={**CMO, "points": 40})
    v2 = model_publish(model=model, by=marketer, note="v2")
    contacts_rescore(contact_ids=[contact.pk], now=NOW)

    score = ContactScore.objects.get(contact=contact)
    assert (score.fit, score.model_version_id) == (40, v2.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_one_contact_runs_as_a_prepared_statement_with_its_generic_plan(marketer):
    published_model(by=marketer)
    contacts = [ContactFactory(job_title="CMO") for _ in range(3)]
    for contact in contacts:
        contacts_rescore(contact_ids=[contact.pk], now=NOW)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE 'WITH v AS (SELECT 1 FROM scoring_modelversion%%'"
        )
        plans = cursor.fetchall()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert (generic, custom) == (3, 0)  # prepared once, never planned again per call


def test_a_breakdown_that_changes_under_an_equal_score_is_written(marketer):
    """Rules trading points (the same fit, other rules fired) rewrite the breakdown, without a
    history row: the score did not change."""
    germany = {"field": "country", "operator": "equals", "value": "DE", "points": 25}
    model = published_model(by=marketer, fit=(CMO, germany), engagement=())
    version = model.versions.get()
    cmo, german = version.definition["fit_rules"]
    contact = ContactFactory(job_title="CMO", country="US")
    score_chunk(version=version, now=NOW, scope=ALL)
    before = ContactScore.objects.get(contact=contact)
    contact.job_title, contact.country = "Engineer", "DE"
    contact.save()

    stats = score_chunk(version=version, now=NOW, scope=ALL)

    after = ContactScore.objects.get(contact=contact)
    assert (before.fit, after.fit) == (25, 25)
    assert [item["rule"] for item in before.breakdown] == [cmo["key"]]
    assert [item["rule"] for item in after.breakdown] == [german["key"]]
    assert (stats.changed, stats.history) == (1, 0)
    assert ScoreHistory.objects.filter(contact=contact).count() == 1

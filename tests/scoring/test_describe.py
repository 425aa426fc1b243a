from datetime import timedelta

import pytest

from scoring.describe import describe_definition, describe_rule, score_explained
from scoring.engine import Scope, score_chunk
from scoring.models import ContactScore
from scoring.services import model_create, model_publish, rule_add
from tests.factories import BASE, ActivityEventFactory, CompanyFactory, ContactFactory
from tests.scoring.conftest import NOW

PRICING = {
    "event_type": "page_view",
    "mode": "per_occurrence",
    "points": 5,
    "cap": 15,
    "window_days": 30,
    "property_name": "url",
    "property_operator": "contains",
    "property_value": "/pricing",
}


@pytest.mark.parametrize(
    ("kind", "rule", "text"),
    [
        (
            "fit_rules",
            {"field": "job_title", "operator": "contains", "value": "vp", "points": 10},
            "Job title contains 'vp' → +10",
        ),
        (
            "fit_rules",
            {"field": "company.employee_count", "operator": "between", "value": [50.0, 1500.0]}
            | {"points": -5},
            "Company employee count between 50 and 1,500 → -5",
        ),
        (
            "fit_rules",
            {"field": "seniority", "operator": "in", "value": ["c_level", "vp"], "points": 20},
            "Seniority is one of C-level, Vice president → +20",
        ),
        (
            "fit_rules",
            {"field": "attributes.plan", "operator": "is_not_empty", "value": None, "points": 3},
            "Custom attribute 'plan' is not empty → +3",
        ),
        (
            "engagement_rules",
            PRICING,
            "Page view where url contains '/pricing' in the last 30 days → +5 each, max 15",
        ),
        (
            "engagement_rules",
            {"event_type": "demo_request", "mode": "once_at_count", "points": 20, "min_count": 3},
            "Demo request at least 3 times in the last 90 days → +20 once",
        ),
        (
            "engagement_rules",
            {"event_type": "demo_request", "mode": "once_at_count", "points": 20, "min_count": 1},
            "Demo request in the last 90 days → +20 once",
        ),
        (
            "fit_rules",
            {"field": "seniority", "operator": "equals", "value": "owner", "points": 5},
            "Seniority is Owner / founder → +5",
        ),
        (
            "fit_rules",
            {"field": "job_title", "operator": "equals", "value": "vp", "points": 5},
            "Job title is 'vp' → +5",
        ),
        (
            "engagement_rules",
            {**PRICING, "cap": None, "window_days": None, "half_life_days": 14.0},
            "Page view where url contains '/pricing' in the last 90 days → +5 each,"
            " halving every 14 days",
        ),
        (
            "disqualifiers",
            {"label": "Free mail", "field": "email", "operator": "email_domain_in"}
            | {"value": ["gmail.com", "yahoo.com"]},
            "Free mail: email domain is one of 'gmail.com', 'yahoo.com' → never an MQL",
        ),
    ],
)
def test_rules_read_as_sentences(kind, rule, text):
    assert describe_rule(kind, rule, lookback_days=90) == text


def test_a_window_longer_than_the_lookback_is_shown_as_the_lookback():
    rule = {**PRICING, "window_days": 400}
    assert "in the last 90 days" in describe_rule("engagement_rules", rule, lookback_days=90)


@pytest.mark.django_db
def test_score_explained_lists_fired_rules_from_the_scores_version(marketer):
    model = model_create(data={**BASE, "name": "M", "fit_min": 0, "engagement_min": 0}, by=marketer)
    title = rule_add(
        model=model,
        kind="fit_rules",
        data={"field": "job_title", "operator": "contains", "value": "vp", "points": 10},
    )
    rule_add(
        model=model,
        kind="fit_rules",
        data={"field": "country", "operator": "equals", "value": "fr", "points": 7},
    )
    pricing = rule_add(model=model, kind="engagement_rules", data=PRICING)
    rule_add(
        model=model,
        kind="disqualifiers",
        data={
            "label": "Rival",
            "field": "email",
            "operator": "email_domain_in",
            "value": ["r.com"],
        },
    )
    version = model_publish(model=model, by=marketer, note="")
    vp = ContactFactory(job_title="VP Sales", country="DE", company=CompanyFactory())
    rival = ContactFactory(job_title="Intern", email="x@r.com")
    for days in (1, 2, 3, 4):
        ActivityEventFactory(contact=vp, occurred_at=NOW - timedelta(days=days))
    score_chunk(version=version, now=NOW, scope=Scope(lo=0, hi=2**62))

    explained = score_explained(ContactScore.objects.get(contact=vp))
    assert [(e.kind, e.key, e.points) for e in explained] == [
        ("fit", title.key, 10.0),
        ("engagement", pricing.key, 15.0),
    ]
    assert explained[0].description == "Job title contains 'vp' → +10"

    explained = score_explained(ContactScore.objects.get(contact=rival))
    assert [(e.kind, e.description, e.points) for e in explained] == [
        ("disqualifier", "Rival: email domain is one of 'r.com' → never an MQL", 0.0)
    ]
    described = describe_definition(version.definition)
    assert [r["key"] for r in described["fit_rules"]] == [title.key, model.fitrules.last().key]

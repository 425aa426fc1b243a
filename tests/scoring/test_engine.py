from datetime import timedelta

import pytest

from leads.models import ActivityEvent, Contact
from scoring import reference
from scoring.engine import Scope, compute_chunk
from tests.factories import ActivityEventFactory, CompanyFactory, ContactFactory, make_spec
from tests.scoring.conftest import NOW

pytestmark = pytest.mark.django_db
ALL = Scope(lo=0, hi=2**62)


def scores(spec, *, now=NOW, shadowed_by=()):
    """Engine results by contact id, checked against the reference evaluator on the way."""
    results = {
        r.contact_id: r
        for r in compute_chunk(spec=spec, now=now, scope=ALL, shadowed_by=shadowed_by)
    }
    for contact in Contact.objects.select_related("company"):
        events = list(ActivityEvent.objects.filter(contact=contact))
        expected = reference.evaluate(spec, contact, events, now, shadowed_by)
        assert results.get(contact.pk) == expected, contact
    return results


def event(contact, days_ago, event_type="page_view", **properties):
    return ActivityEventFactory(
        contact=contact,
        event_type=event_type,
        occurred_at=NOW - timedelta(days=days_ago),
        properties=properties or {"url": "/blog"},
    )


FIT_CASES = [
    # field, operator, value, data of a matching contact, data of a non-matching one
    ("job_title", "equals", "CMO", {"job_title": "cmo"}, {"job_title": "CMO assistant"}),
    ("job_title", "not_equals", "CMO", {"job_title": "CTO"}, {"job_title": "Cmo"}),
    ("job_title", "in", ["CMO", "CEO"], {"job_title": "ceo"}, {"job_title": "CTO"}),
    ("job_title", "not_in", ["CMO", "CEO"], {"job_title": ""}, {"job_title": "CMO"}),
    ("job_title", "contains", "market", {"job_title": "Head of Marketing"}, {"job_title": "Sales"}),
    ("job_title", "starts_with", "VP", {"job_title": "vp sales"}, {"job_title": "SVP"}),
    (
        "job_title",
        "ends_with",
        "Officer",
        {"job_title": "Chief Officer"},
        {"job_title": "Officers"},
    ),
    ("job_title", "is_empty", None, {"job_title": ""}, {"job_title": "x"}),
    ("job_title", "is_not_empty", None, {"job_title": "x"}, {"job_title": ""}),
    ("seniority", "in", ["vp", "c_level"], {"seniority": "c_level"}, {"seniority": "entry"}),
    ("country", "equals", "de", {"country": "DE"}, {"country": "FR"}),
    ("email", "email_domain_in", ["Rival.com"], {"email": "a@RIVAL.com"}, {"email": "a@rival.co"}),
    ("attributes.plan", "equals", "Pro", {"attributes": {"plan": "pro"}}, {"attributes": {}}),
    (
        "company.employee_count",
        "gt",
        500,
        {"company__employee_count": 501},
        {"company__employee_count": 500},
    ),
    (
        "company.employee_count",
        "gte",
        500,
        {"company__employee_count": 500},
        {"company__employee_count": None},
    ),
    (
        "company.employee_count",
        "lt",
        50,
        {"company__employee_count": 10},
        {"company__employee_count": None},
    ),
    (
        "company.employee_count",
        "between",
        [10, 50],
        {"company__employee_count": 50},
        {"company__employee_count": 51},
    ),
    (
        "company.employee_count",
        "is_empty",
        None,
        {"company__employee_count": None},
        {"company__employee_count": 0},
    ),
    (
        "company.employee_count",
        "not_equals",
        7,
        {"company__employee_count": 8},
        {"company__employee_count": None},
    ),
    (
        "company.annual_revenue",
        "gte",
        1000000,
        {"company__annual_revenue": "1000000.00"},
        {"company__annual_revenue": "999999.99"},
    ),
    (
        "company.industry",
        "contains",
        "soft",
        {"company__industry": "Software"},
        {"company__industry": "Retail"},
    ),
    (
        "company.tags",
        "contains",
        "Salesforce",
        {"company__tags": ["salesforce", "aws"]},
        {"company__tags": ["aws"]},
    ),
    ("company.tags", "in", ["gcp", "aws"], {"company__tags": ["AWS"]}, {"company__tags": []}),
    ("company.tags", "not_in", ["gcp"], {"company__tags": ["aws"]}, {"company__tags": ["gcp"]}),
    ("company.tags", "is_empty", None, {"company": None}, {"company__tags": ["x"]}),
    ("company.domain", "ends_with", ".de", {"company__domain": "acme.de"}, {"company": None}),
]


@pytest.mark.parametrize("field, operator, value, yes, no", FIT_CASES)
def test_each_fit_operator_gives_points_only_when_it_matches(field, operator, value, yes, no):
    spec = make_spec(
        fit_rules=[{"field": field, "operator": operator, "value": value, "points": 7}]
    )
    hit, miss = ContactFactory(**yes), ContactFactory(**no)
    result = scores(spec)
    assert result[hit.pk].fit == 7 and result[hit.pk].breakdown == (("r0", 7.0),)
    assert result[miss.pk].fit == 0 and result[miss.pk].breakdown == ()


def test_fit_points_add_up_and_can_be_negative():
    spec = make_spec(
        fit_rules=[
            {"field": "job_title", "operator": "contains", "value": "market", "points": 30},
            {"field": "country", "operator": "equals", "value": "DE", "points": -5},
        ]
    )
    contact = ContactFactory(job_title="Marketing lead", country="DE")
    assert scores(spec)[contact.pk].fit == 25


def test_engagement_counts_only_events_inside_the_rule_window():
    spec = make_spec(
        engagement_rules=[
            {"event_type": "page_view", "mode": "per_occurrence", "points": 3, "window_days": 30}
        ]
    )
    contact = ContactFactory()
    event(contact, 1)
    event(contact, 29.9)
    event(contact, 30.1)
    event(contact, 5, event_type="email_open")
    assert scores(spec)[contact.pk].engagement == 6


def test_events_outside_the_lookback_or_in_the_future_count_for_nothing():
    spec = make_spec(
        lookback_days=20,
        engagement_rules=[
            {"event_type": "page_view", "mode": "per_occurrence", "points": 1, "window_days": 365}
        ],
    )
    contact = ContactFactory()
    for days in (1, 19, 21, 200, -1):
        event(contact, days)
    assert scores(spec)[contact.pk].engagement == 2


def test_per_occurrence_points_stop_at_the_cap():
    spec = make_spec(
        engagement_rules=[
            {"event_type": "page_view", "mode": "per_occurrence", "points": 2, "cap": 5}
        ]
    )
    capped, under = ContactFactory(), ContactFactory()
    for _ in range(10):
        event(capped, 3)
    event(under, 3)
    result = scores(spec)
    assert (result[capped.pk].engagement, result[under.pk].engagement) == (5, 2)


def test_once_rule_gives_points_when_the_count_reaches_n():
    spec = make_spec(
        engagement_rules=[
            {
                "event_type": "email_click",
                "mode": "once_at_count",
                "points": 15,
                "min_count": 3,
                "window_days": 14,
            }
        ]
    )
    reached, short = ContactFactory(), ContactFactory()
    for days in (1, 2, 13):
        event(reached, days, event_type="email_click")
    for days in (1, 2, 15):
        event(short, days, event_type="email_click")
    result = scores(spec)
    assert (result[reached.pk].engagement, result[short.pk].engagement) == (15, 0)


def test_property_condition_filters_events():
    spec = make_spec(
        engagement_rules=[
            {
                "event_type": "page_view",
                "mode": "per_occurrence",
                "points": 10,
                "property_name": "url",
                "property_operator": "contains",
                "property_value": "/pricing",
            }
        ]
    )
    contact = ContactFactory()
    event(contact, 1, url="/PRICING/enterprise")
    event(contact, 1, url="/blog/pricing-tips")
    event(contact, 1, url="/about")
    event(contact, 1, ref="/pricing")
    event(contact, 1, event_type="email_click", url="/pricing")
    assert scores(spec)[contact.pk].engagement == 20


def test_decay_halves_points_every_half_life():
    spec = make_spec(
        engagement_rules=[
            {"event_type": "page_view", "mode": "per_occurrence", "points": 8, "half_life_days": 10}
        ]
    )
    contact = ContactFactory()
    event(contact, 0)
    event(contact, 10)
    event(contact, 20)
    assert scores(spec)[contact.pk].engagement == pytest.approx(8 + 4 + 2)


def test_disqualifier_blocks_mql_whatever_the_score_and_first_match_labels_it():
    spec = make_spec(
        fit_rules=[{"field": "job_title", "operator": "contains", "value": "cmo", "points": 100}],
        engagement_rules=[{"event_type": "page_view", "mode": "per_occurrence", "points": 50}],
        disqualifiers=[
            {"label": "Student", "field": "job_title", "operator": "contains", "value": "student"},
            {
                "label": "Free mail",
                "field": "email",
                "operator": "email_domain_in",
                "value": ["gmail.com"],
            },
        ],
    )
    free = ContactFactory(job_title="CMO", email="cmo@gmail.com")
    both = ContactFactory(job_title="CMO student", email="s@gmail.com")
    fine = ContactFactory(job_title="CMO", email="cmo@acme.com")
    for c in (free, both, fine):
        event(c, 1)
    result = scores(spec)
    assert (result[free.pk].mql_eligible, result[free.pk].blocked_by) == (False, "Free mail")
    assert result[both.pk].blocked_by == "Student"
    assert (result[fine.pk].mql_eligible, result[fine.pk].blocked_by) == (True, "")
    assert result[free.pk].total == result[fine.pk].total == 150


@pytest.mark.parametrize(
    "points, grade", [(60, "A"), (59, "B"), (40, "B"), (20, "C"), (19, "D"), (-5, "D")]
)
def test_grade_follows_the_fit_bands(points, grade):
    spec = make_spec(
        fit_rules=[{"field": "job_title", "operator": "is_not_empty", "points": points}]
    )
    contact = ContactFactory(job_title="x")
    assert scores(spec)[contact.pk].grade == grade


def test_mql_needs_fit_and_engagement_or_the_optional_total():
    eng = {"event_type": "page_view", "mode": "per_occurrence", "points": 9}
    fit = {"field": "job_title", "operator": "contains", "value": "cmo", "points": 25}
    contact = ContactFactory(job_title="CMO")
    event(contact, 1)
    assert (
        scores(make_spec(fit_rules=[fit], engagement_rules=[eng]))[contact.pk].mql_eligible is False
    )
    event(contact, 2)
    assert (
        scores(make_spec(fit_rules=[fit], engagement_rules=[eng]))[contact.pk].mql_eligible is True
    )
    low_fit = {**fit, "points": 5}
    assert (
        scores(make_spec(fit_rules=[low_fit], engagement_rules=[eng]))[contact.pk].mql_eligible
        is False
    )
    by_total = make_spec(fit_rules=[low_fit], engagement_rules=[eng], total_min=23)
    assert scores(by_total)[contact.pk].mql_eligible is True


def test_segment_and_higher_priority_segments_choose_the_contacts():
    big = CompanyFactory(employee_count=5000)
    small = CompanyFactory(employee_count=20)
    enterprise, smb, unknown = (
        ContactFactory(company=big),
        ContactFactory(company=small),
        ContactFactory(company=None),
    )
    segment = [{"field": "company.employee_count", "operator": "gte", "value": 500}]
    assert set(scores(make_spec(segment=segment))) == {enterprise.pk}
    everyone = make_spec()
    shadow = make_spec(segment=segment).segment
    assert set(scores(everyone, shadowed_by=(shadow,))) == {smb.pk, unknown.pk}


def test_user_values_are_data_never_sql():
    nasty = "x'); DROP TABLE leads_contact; --"
    spec = make_spec(
        fit_rules=[{"field": "job_title", "operator": "contains", "value": nasty, "points": 5}],
        engagement_rules=[
            {
                "event_type": "page_view",
                "mode": "per_occurrence",
                "points": 1,
                "property_name": "url",
                "property_operator": "in",
                "property_value": [nasty, "%s"],
            }
        ],
    )
    contact = ContactFactory(job_title=f"CEO {nasty.upper()}")
    event(contact, 1, url="%S")
    event(contact, 1, url=nasty)
    result = scores(spec)[contact.pk]
    assert (result.fit, result.engagement) == (5, 2)
    assert Contact.objects.count() == 1

"""Property test: the set-based SQL engine and the per-contact reference evaluator agree."""

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import ActivityEvent, Company, Contact, LifecycleStage, Seniority
from scoring import reference
from scoring.catalogue import OPS_BY_TYPE, FieldType
from scoring.engine import Scope, compute_chunk
from tests.factories import make_spec
from tests.scoring.conftest import NOW

WORDS = ["cmo", "vp", "head", "market", "sales", "student", "eng", "c1", ".de", "pro"]
TITLES = ["CMO", "VP Sales", "Head of Marketing", "Engineer", "Student", ""]
TAGS = ["aws", "gcp", "salesforce"]
DOMAINS = ["acme.com", "gmail.com", "rival.io"]
EVENT_TYPES = ["page_view", "email_click", "form_submit"]
URLS = ["/pricing", "/blog", "/pricing/enterprise", "/about"]
TEXT_FIELDS = ["job_title", "source", "company.industry", "company.domain", "attributes.plan"]
NUMBER_FIELDS = ["company.employee_count", "company.annual_revenue"]


def _value(op, items):
    if op in ("is_empty", "is_not_empty"):
        return st.none()
    if op in ("in", "not_in", "email_domain_in"):
        return st.lists(items, min_size=1, max_size=3)
    return items


@st.composite
def conditions(draw):
    kind = draw(st.sampled_from(["text", "choice", "number", "list", "email"]))
    if kind == "text":
        field, ops, items = (
            draw(st.sampled_from(TEXT_FIELDS)),
            OPS_BY_TYPE[FieldType.TEXT],
            st.sampled_from(WORDS),
        )
    elif kind == "choice":
        field = draw(st.sampled_from(["seniority", "country"]))
        values = Seniority.values[:3] if field == "seniority" else ["de", "fr"]
        ops, items = OPS_BY_TYPE[FieldType.CHOICE], st.sampled_from(values)
    elif kind == "number":
        field, ops, items = (
            draw(st.sampled_from(NUMBER_FIELDS)),
            OPS_BY_TYPE[FieldType.NUMBER],
            st.integers(0, 1000),
        )
    elif kind == "list":
        field, ops, items = "company.tags", OPS_BY_TYPE[FieldType.LIST], st.sampled_from(TAGS)
    else:
        field, ops, items = "email", ["email_domain_in", "ends_with"], st.sampled_from(DOMAINS)
    op = draw(st.sampled_from(list(ops)))
    value = (
        sorted(draw(st.lists(items, min_size=2, max_size=2)))
        if op == "between"
        else draw(_value(op, items))
    )
    return {"field": field, "operator": op, "value": value}


@st.composite
def engagement_rules(draw):
    once = draw(st.booleans())
    rule = {
        "event_type": draw(st.sampled_from(EVENT_TYPES)),
        "mode": "once_at_count" if once else "per_occurrence",
        "points": draw(st.integers(1, 20)),
        "window_days": draw(st.none() | st.integers(1, 60)),
    }
    if once:
        rule["min_count"] = draw(st.integers(1, 4))
    else:
        rule["cap"] = draw(st.none() | st.integers(1, 30))
        rule["half_life_days"] = draw(st.none() | st.integers(1, 40))
    if draw(st.booleans()):
        op = draw(st.sampled_from(list(OPS_BY_TYPE[FieldType.TEXT])))
        value = draw(_value(op, st.sampled_from(["/pricing", "blog", "/about", "enterprise"])))
        rule.update(property_name="url", property_operator=op, property_value=value)
    return rule


@st.composite
def specs(draw):
    bands = sorted(
        draw(st.lists(st.integers(-10, 80), min_size=3, max_size=3, unique=True)), reverse=True
    )
    return make_spec(
        lookback_days=draw(st.integers(10, 120)),
        fit_min=draw(st.integers(-10, 50)),
        engagement_min=draw(st.integers(0, 40)),
        total_min=draw(st.none() | st.integers(0, 60)),
        grade_a_min=bands[0],
        grade_b_min=bands[1],
        grade_c_min=bands[2],
        segment=draw(st.lists(conditions(), max_size=1)),
        fit_rules=[
            {**c, "points": draw(st.integers(-20, 40).filter(bool))}
            for c in draw(st.lists(conditions(), max_size=5))
        ],
        engagement_rules=draw(st.lists(engagement_rules(), max_size=4)),
        disqualifiers=[
            {**c, "label": f"D{i}"} for i, c in enumerate(draw(st.lists(conditions(), max_size=2)))
        ],
    )


companies = st.none() | st.fixed_dictionaries(
    {
        "industry": st.sampled_from(["Software", "Retail", ""]),
        "employee_count": st.none() | st.integers(0, 1000),
        "annual_revenue": st.none() | st.integers(0, 1000),
        "tags": st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
        "tld": st.sampled_from(["com", "de"]),
    }
)
events = st.lists(
    st.tuples(
        st.sampled_from(EVENT_TYPES),
        st.integers(-60 * 24, 130 * 24 * 60),  # minutes ago; negative = in the future
        st.none() | st.sampled_from(URLS),
    ),
    max_size=6,
)
contacts = st.lists(
    st.fixed_dictionaries(
        {
            "job_title": st.sampled_from(TITLES),
            "seniority": st.sampled_from(["", *Seniority.values[:3]]),
            "country": st.sampled_from(["", "DE", "FR"]),
            "source": st.sampled_from(["", "web", "ads-eng"]),
            "domain": st.sampled_from(DOMAINS),
            "attributes": st.sampled_from([{}, {"plan": "pro"}, {"plan": "Free"}]),
            "company": companies,
            "events": events,
        }
    ),
    min_size=1,
    max_size=6,
)


def _create(rows):
    for i, row in enumerate(rows):
        company = None
        if row["company"]:
            data = dict(row["company"])
            company = Company.objects.create(name=f"C{i}", domain=f"c{i}.{data.pop('tld')}", **data)
        contact = Contact.objects.create(
            email=f"u{i}@{row['domain']}",
            stage_entered_at=NOW,
            lifecycle_stage=LifecycleStage.LEAD,
            company=company,
            **{k: row[k] for k in ("job_title", "seniority", "country", "source", "attributes")},
        )
        ActivityEvent.objects.bulk_create(
            ActivityEvent(
                contact=contact,
                event_type=event_type,
                occurred_at=NOW - timedelta(minutes=minutes),
                properties={"url": url} if url else {},
            )
            for event_type, minutes, url in row["events"]
        )


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spec=specs(), rows=contacts)
def test_engine_agrees_with_reference_evaluator(spec, rows):
    with transaction.atomic():
        _create(rows)
        engine = {
            r.contact_id: r for r in compute_chunk(spec=spec, now=NOW, scope=Scope(lo=0, hi=2**62))
        }
        expected = {}
        for contact in Contact.objects.select_related("company"):
            result = reference.evaluate(spec, contact, list(contact.events.all()), NOW)
            if result is not None:
                expected[contact.pk] = result
        transaction.set_rollback(True)
    assert engine == expected

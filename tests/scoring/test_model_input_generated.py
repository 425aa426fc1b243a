"""Generated scoring model definitions (arbitrary JSON shapes, near-valid ones among them) posted
to the create and draft APIs: a 201/200 or a 400 naming a field, never a 500.

SCORING_FUZZ_EXAMPLES sets the number of examples (default 50)."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.models import ScoringModel
from scoring.services import model_create
from tests.factories import BASE

URL = "/api/v1/scoring-models/"
EXAMPLES = int(os.environ.get("SCORING_FUZZ_EXAMPLES", "50"))

text = st.text(max_size=12) | st.sampled_from(["a\x00", "\ud800", "VP", "page_view", "url", ""])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
FIELDS = ["job_title", "company.employee_count", "email", "seniority", "attributes.plan"]
OPERATORS = ["contains", "equals", "gte", "between", "in", "email_domain_in", "is_empty"]


def maybe(strategy):
    return strategy | json_values


condition = st.fixed_dictionaries(
    {
        "field": maybe(st.sampled_from(FIELDS)),
        "operator": maybe(st.sampled_from(OPERATORS)),
        "value": json_values,
    }
)
fit_rule = st.fixed_dictionaries({"points": maybe(st.integers(-50, 50))}).flatmap(
    lambda extra: condition.map(lambda c: {**c, **extra})
)
engagement_rule = st.fixed_dictionaries(
    {
        "event_type": maybe(st.sampled_from(["page_view", "demo_request", "email_open"])),
        "mode": maybe(st.sampled_from(["per_occurrence", "once_at_count"])),
        "points": maybe(st.integers(1, 20)),
    },
    optional={
        "cap": json_values,
        "min_count": json_values,
        "window_days": json_values,
        "half_life_days": maybe(st.floats(0, 5000)),
        "property_name": maybe(st.sampled_from(["url", "bad name"])),
        "property_operator": maybe(st.sampled_from(["contains", "equals"])),
        "property_value": json_values,
        "key": json_values,
    },
)
disqualifier = condition.flatmap(
    lambda c: st.fixed_dictionaries({"label": maybe(text)}).map(lambda d: {**c, **d})
)


def rule_list(rule):
    return maybe(st.lists(rule | json_values, max_size=3))


definitions = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(text),
        "description": json_values,
        "segment": rule_list(condition),
        "fit_rules": rule_list(fit_rule),
        "engagement_rules": rule_list(engagement_rule),
        "disqualifiers": rule_list(disqualifier),
        "lookback_days": json_values,
        "fit_min": json_values,
        "priority": json_values,
        "is_active": json_values,
    },
)


def send(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def check(response, ok: int) -> None:
    assert response.status_code in (ok, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        assert response.json(), response.content  # names the field (or says what is wrong)


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(definition=definitions)
def test_generated_definitions_are_never_a_500(api_as, marketer, definition):
    client = api_as(marketer)
    body = {**BASE, "name": "Generated", **definition}
    check(send(client, "post", URL, body), 201)
    ScoringModel.objects.all().delete()

    model = model_create(data={**BASE, "name": "Draft"}, by=marketer)
    check(send(client, "patch", f"{URL}{model.pk}/", definition), 200)
    check(send(client, "put", f"{URL}{model.pk}/", body), 200)
    model.delete()

"""Hostile scoring model definitions through the API: a 400 naming the field, never a 500.

Bodies are sent as raw JSON (json.dumps escapes a lone surrogate as \\ud800, as any client may)."""

import json

import pytest

from scoring.models import ScoringModel
from scoring.services import model_create
from tests.factories import BASE

pytestmark = pytest.mark.django_db
URL = "/api/v1/scoring-models/"
TITLE = {"field": "job_title", "operator": "contains", "value": "VP", "points": 10}
VISITS = {"event_type": "page_view", "mode": "per_occurrence", "points": 5}
RIVAL = {"label": "Rival", "field": "email", "operator": "email_domain_in", "value": ["r.com"]}
NUL, SURROGATE = "a\x00b", "x\ud800"

HOSTILE = [
    ({"segment": [1]}, "segment[0]"),
    ({"segment": [[]]}, "segment[0]"),
    ({"segment": "everyone"}, "segment"),
    ({"segment": {"field": "job_title"}}, "segment"),
    ({"segment": [{**TITLE, "value": NUL}]}, "segment[0].value"),
    ({"segment": [{"field": {"a": 1}, "operator": "contains", "value": "x"}]}, "segment[0].field"),
    ({"fit_rules": "all"}, "fit_rules"),
    ({"fit_rules": [1]}, "fit_rules[0]"),
    ({"fit_rules": [None]}, "fit_rules[0]"),
    ({"fit_rules": [{**TITLE, "value": ["VP"]}]}, "fit_rules[0].value"),
    ({"fit_rules": [{**TITLE, "value": {"a": 1}}]}, "fit_rules[0].value"),
    ({"fit_rules": [{**TITLE, "value": NUL}]}, "fit_rules[0].value"),
    ({"fit_rules": [{**TITLE, "value": SURROGATE}]}, "fit_rules[0].value"),
    ({"fit_rules": [{**TITLE, "operator": ["contains"]}]}, "fit_rules[0].operator"),
    ({"fit_rules": [{**TITLE, "operator": {"x": 1}}]}, "fit_rules[0].operator"),
    ({"fit_rules": [{**TITLE, "field": ["job_title"]}]}, "fit_rules[0].field"),
    ({"fit_rules": [{**TITLE, "field": SURROGATE}]}, "fit_rules[0].field"),
    ({"fit_rules": [{**TITLE, "points": [10]}]}, "fit_rules[0].points"),
    ({"fit_rules": [{**TITLE, "key": {"k": 1}}]}, "fit_rules[0].key"),
    ({"fit_rules": [{**RIVAL, "label": None, "value": [1, {"a": 1}]}]}, "fit_rules[0].value"),
    ({"fit_rules": [{**RIVAL, "label": None, "value": ["x.com", NUL]}]}, "fit_rules[0].value"),
    (
        {
            "fit_rules": [
                {"field": "company.employee_count", "operator": "between", "value": [[1], 2]}
            ]
        },
        "fit_rules[0].value",
    ),
    ({"engagement_rules": [[]]}, "engagement_rules[0]"),
    (
        {"engagement_rules": [{**VISITS, "event_type": ["page_view"]}]},
        "engagement_rules[0].event_type",
    ),
    ({"engagement_rules": [{**VISITS, "mode": {"m": 1}}]}, "engagement_rules[0].mode"),
    (
        {"engagement_rules": [{**VISITS, "half_life_days": 0.01}]},
        "engagement_rules[0].half_life_days",
    ),
    (
        {"engagement_rules": [{**VISITS, "half_life_days": 4000}]},
        "engagement_rules[0].half_life_days",
    ),
    (
        {"engagement_rules": [{**VISITS, "half_life_days": [1]}]},
        "engagement_rules[0].half_life_days",
    ),
    (
        {"engagement_rules": [{**VISITS, "half_life_days": "1e999"}]},
        "engagement_rules[0].half_life_days",
    ),
    ({"engagement_rules": [{**VISITS, "cap": {"c": 1}}]}, "engagement_rules[0].cap"),
    ({"engagement_rules": [{**VISITS, "property_name": 5}]}, "engagement_rules[0].property_name"),
    (
        {
            "engagement_rules": [
                {
                    **VISITS,
                    "property_name": "url",
                    "property_operator": "contains",
                    "property_value": NUL,
                }
            ]
        },
        "engagement_rules[0].property_value",
    ),
    (
        {
            "engagement_rules": [
                {
                    **VISITS,
                    "property_name": "url",
                    "property_operator": "contains",
                    "property_value": [1],
                }
            ]
        },
        "engagement_rules[0].property_value",
    ),
    (
        {"engagement_rules": [{**VISITS, "property_name": "url", "property_operator": ["x"]}]},
        "engagement_rules[0].property_operator",
    ),
    ({"disqualifiers": {"a": 1}}, "disqualifiers"),
    ({"disqualifiers": ["x"]}, "disqualifiers[0]"),
    ({"disqualifiers": [{**RIVAL, "label": NUL}]}, "disqualifiers[0].label"),
    ({"disqualifiers": [{**RIVAL, "label": SURROGATE}]}, "disqualifiers[0].label"),
    ({"disqualifiers": [{**RIVAL, "label": ["Rival"]}]}, "disqualifiers[0].label"),
    ({"name": NUL}, "name"),
    ({"name": SURROGATE}, "name"),
    ({"name": ["Model"]}, "name"),
    ({"description": NUL}, "description"),
    ({"description": SURROGATE}, "description"),
    ({"description": {"d": 1}}, "description"),
]


def send(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("change, field", HOSTILE)
def test_hostile_definition_is_a_400_naming_the_field(api_as, marketer, change, field):
    client = api_as(marketer)
    body = {**BASE, "name": "Hostile", "fit_rules": [TITLE], **change}
    response = send(client, "post", URL, body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not ScoringModel.objects.exists()

    model = model_create(data={**BASE, "name": "Draft"}, by=marketer)
    response = send(client, "patch", f"{URL}{model.pk}/", change)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_an_unknown_field_with_a_lone_surrogate_is_named_escaped(api_as, marketer):
    response = send(api_as(marketer), "post", URL, {**BASE, "name": "M", "x\ud800": 1})
    assert response.status_code == 400
    assert "x\\ud800" in response.json()


def test_the_half_life_bounds_are_accepted(api_as, marketer):
    rules = [{**VISITS, "half_life_days": h} for h in (0.04, 3650)]
    body = {**BASE, "name": "Bounds", "engagement_rules": rules}
    response = send(api_as(marketer), "post", URL, body)
    assert response.status_code == 201, response.json()
    assert [r["half_life_days"] for r in response.json()["engagement_rules"]] == [0.04, 3650]

import pytest

from core.exceptions import DomainError
from scoring.spec import ModelSpec
from tests.factories import BASE, make_spec

FIT = {"field": "job_title", "operator": "contains", "value": "Marketing", "points": 10}
ENG = {"event_type": "page_view", "mode": "per_occurrence", "points": 2, "cap": 10}


def error_field(**parts) -> str:
    with pytest.raises(DomainError) as exc:
        make_spec(**parts)
    return exc.value.field


@pytest.mark.parametrize(
    "rule, field",
    [
        ({**FIT, "field": "password"}, "fit_rules[0].field"),
        ({**FIT, "field": "attributes.bad key"}, "fit_rules[0].field"),
        ({**FIT, "operator": "gt"}, "fit_rules[0].operator"),
        (
            {**FIT, "field": "company.employee_count", "operator": "contains"},
            "fit_rules[0].operator",
        ),
        (
            {**FIT, "field": "company.employee_count", "operator": "gt", "value": "many"},
            "fit_rules[0].value",
        ),
        (
            {**FIT, "field": "company.employee_count", "operator": "between", "value": [500, 10]},
            "fit_rules[0].value",
        ),
        (
            {**FIT, "field": "company.employee_count", "operator": "between", "value": [1]},
            "fit_rules[0].value",
        ),
        ({**FIT, "operator": "in", "value": []}, "fit_rules[0].value"),
        ({**FIT, "operator": "in", "value": ["ok", ""]}, "fit_rules[0].value"),
        (
            {**FIT, "field": "seniority", "operator": "equals", "value": "emperor"},
            "fit_rules[0].value",
        ),
        (
            {**FIT, "field": "country", "operator": "equals", "value": "Germany"},
            "fit_rules[0].value",
        ),
        (
            {**FIT, "field": "job_title", "operator": "email_domain_in", "value": ["x.com"]},
            "fit_rules[0].operator",
        ),
        ({**FIT, "operator": "is_empty", "value": "x"}, "fit_rules[0].value"),
        ({**FIT, "value": "   "}, "fit_rules[0].value"),
        ({**FIT, "points": 0}, "fit_rules[0].points"),
        ({**FIT, "points": "ten"}, "fit_rules[0].points"),
    ],
)
def test_bad_fit_rule_names_the_field(rule, field):
    assert error_field(fit_rules=[rule]) == field


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"event_type": "teleport"}, "event_type"),
        ({"mode": "sometimes"}, "mode"),
        ({"window_days": 0}, "window_days"),
        ({"window_days": -30}, "window_days"),
        ({"cap": 0}, "cap"),
        ({"points": 0}, "points"),
        ({"half_life_days": 0}, "half_life_days"),
        ({"half_life_days": "soon"}, "half_life_days"),
        ({"min_count": 3}, "min_count"),
        ({"mode": "once_at_count", "cap": None}, "min_count"),
        (
            {"mode": "once_at_count", "cap": None, "min_count": 2, "half_life_days": 7},
            "half_life_days",
        ),
        ({"property_name": "url; drop table", "property_operator": "contains"}, "property_name"),
        (
            {"property_name": "url", "property_operator": "gt", "property_value": 3},
            "property_operator",
        ),
        (
            {"property_name": "url", "property_operator": "contains", "property_value": ""},
            "property_value",
        ),
        ({"property_operator": "contains", "property_value": "/pricing"}, "property_name"),
    ],
)
def test_bad_engagement_rule_names_the_field(changes, field):
    assert error_field(engagement_rules=[{**ENG, **changes}]) == f"engagement_rules[0].{field}"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"lookback_days": 0}, "lookback_days"),
        ({"fit_min": None}, "fit_min"),
        ({"grade_a_min": 40}, "grade_a_min"),
        ({"grade_c_min": 40}, "grade_b_min"),
        (
            {"segment": [{"field": "company.employee_count", "operator": "gte", "value": "x"}]},
            "segment[0].value",
        ),
        ({"segment": "everyone"}, "segment"),
    ],
)
def test_bad_model_settings_name_the_field(changes, field):
    with pytest.raises(DomainError) as exc:
        ModelSpec.from_dict({**BASE, **changes})
    assert exc.value.field == field


def test_disqualifier_needs_a_label():
    rule = {"label": "", "field": "email", "operator": "email_domain_in", "value": ["gmail.com"]}
    assert error_field(disqualifiers=[rule]) == "disqualifiers[0].label"


def test_values_are_normalised_and_spec_round_trips():
    spec = make_spec(
        segment=[{"field": "company.employee_count", "operator": "gte", "value": "500"}],
        fit_rules=[
            {**FIT, "operator": "in", "value": "CMO, VP Marketing,cmo"},
            {
                "field": "email",
                "operator": "email_domain_in",
                "value": ["@Rival.COM"],
                "points": -5,
            },
        ],
        engagement_rules=[
            {
                **ENG,
                "property_name": "url",
                "property_operator": "contains",
                "property_value": "/Pricing",
            }
        ],
    )
    assert spec.segment[0].value == 500.0
    assert spec.fit_rules[0].condition.value == ["cmo", "vp marketing"]
    assert spec.fit_rules[1].condition.value == ["rival.com"]
    assert spec.engagement_rules[0].property.value == "/pricing"
    assert ModelSpec.from_dict(spec.to_dict()) == spec

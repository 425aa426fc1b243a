"""GET /api/v1/metrics/<metric>/: filters, 400s naming the field, and role scoping per endpoint."""

import pytest
from django.urls import reverse

from insights.metrics import METRICS
from tests.insights.metrics_history import funnel_history_fixture, funnel_now_fixture  # noqa: F401

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
ALL_ONLY = {"lead-to-mql", "cost"}


def url(name: str) -> str:
    return reverse(f"insights-api:metric-{name}")


@pytest.mark.parametrize("name", sorted(METRICS))
@pytest.mark.parametrize("who", ["rep", "manager", "outsider", "marketer", "admin"])
def test_every_metric_answers_every_role_or_refuses_with_403(funnel_history, api_as, name, who):
    response = api_as(funnel_history[who]).get(url(name), MARCH)
    if name in ALL_ONLY and who not in ("marketer", "admin"):
        assert response.status_code == 403, response.content
        return
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["metric"] == name and body["definition"]
    assert body["filters"]["start"] == "2026-03-01" and body["filters"]["end"] == "2026-03-31"


@pytest.mark.parametrize(
    ("who", "mqls"),
    [("rep", 2), ("other_rep", 2), ("manager", 4), ("outsider", 0), ("marketer", 4), ("admin", 4)],
)
def test_volume_and_funnel_are_scoped_to_what_the_role_sees(funnel_history, api_as, who, mqls):
    client = api_as(funnel_history[who])
    assert client.get(url("mql-volume"), MARCH).json()["data"]["total"] == mqls
    funnel = client.get(url("funnel"), MARCH).json()["data"]["windows"]["to_date"]
    assert funnel["mqls"] == mqls


def test_a_rep_sees_only_their_own_reps_row(funnel_history, api_as):
    rows = (
        api_as(funnel_history["rep"]).get(url("breakdown"), {**MARCH, "by": "rep"}).json()["data"]
    )
    assert [r["group"] for r in rows["rows"]] == ["rep1"]


def test_revenue_hides_the_never_mql_comparison_from_sales(funnel_history, api_as):
    data = api_as(funnel_history["manager"]).get(url("revenue"), MARCH).json()["data"]
    assert data["win_rate"]["never_mql"] is None
    data = api_as(funnel_history["marketer"]).get(url("revenue"), MARCH).json()["data"]
    assert data["win_rate"]["never_mql"]["rate"] == 0.5


def test_filters_apply_through_the_api(funnel_history, api_as):
    client = api_as(funnel_history["marketer"])
    body = client.get(url("mql-volume"), {**MARCH, "channel": "ads", "grain": "month"}).json()
    assert body["data"]["total"] == 2 and body["filters"]["channel"] == "ads"
    team = funnel_history["m1"].team_id
    assert client.get(url("mql-volume"), {**MARCH, "team": team}).json()["data"]["total"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-13-01"}, "end"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "0001-01-05"}, "end"),
        ({"grain": "day"}, "grain"),
        ({"model": "abc"}, "model"),
        ({"model": "999999"}, "model"),
        ({"team": "-1"}, "team"),
        ({"version": "99999999999999999999"}, "version"),
        ({"campaign": "x" * 201}, "campaign"),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(funnel_history, api_as, params, field):
    response = api_as(funnel_history["marketer"]).get(url("funnel"), params)
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("breakdown", {"by": "colour"}, "by"),
        ("capacity", {"aes": "0"}, "aes"),
        ("capacity", {"sqls_per_ae": "nan"}, "sqls_per_ae"),
        ("capacity", {"rate": "2"}, "rate"),
        ("conversion-trend", {"days": "45"}, "days"),
    ],
)
def test_bad_metric_parameters_are_400s(funnel_history, api_as, name, params, field):
    response = api_as(funnel_history["marketer"]).get(url(name), params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_capacity_takes_its_inputs(funnel_history, api_as):
    body = (
        api_as(funnel_history["marketer"])
        .get(url("capacity"), {**MARCH, "aes": 2, "sqls_per_ae": 3})
        .json()
    )
    assert body["data"]["mqls_needed"] == 12


def test_anonymous_is_refused(api, db):
    assert api.get(url("funnel")).status_code in (401, 403)


def test_definitions_list_every_metric_with_bands(api_as, people):
    body = api_as(people["rep"]).get(reverse("insights-api:metric-definitions")).json()
    by_key = {d["key"]: d for d in body}
    assert {b["low"] for b in by_key["mql_to_sql"]["bands"]} == {0.25, 0.13, None}
    assert all(d["definition"] for d in body)


def test_the_schema_documents_each_metric_and_its_parameters(api_as, people):
    schema = api_as(people["admin"]).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/metrics/capacity/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"start", "end", "grain", "model", "team", "channel", "campaign", "aes"} <= names
    assert {"200", "400", "403"} <= set(operation["responses"])

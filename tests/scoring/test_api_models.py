"""/api/v1/scoring-models/: CRUD with nested rules, validation and who may do what."""

import pytest

from scoring.models import ContactScore, EngagementRule, FitRule, ModelVersion, ScoringModel
from scoring.services import model_create, model_publish, rule_add
from tests.factories import BASE

pytestmark = pytest.mark.django_db
URL = "/api/v1/scoring-models/"

TITLE = {"field": "job_title", "operator": "contains", "value": "VP", "points": 10}
SIZE = {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 20}
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
DEMO = {"event_type": "demo_request", "mode": "once_at_count", "points": 30, "min_count": 1}
RIVAL = {"label": "Competitor", "field": "email", "operator": "email_domain_in", "value": ["r.com"]}
BODY = {
    **BASE,
    "name": "Enterprise",
    "priority": 5,
    "segment": [{"field": "company.employee_count", "operator": "gte", "value": 500}],
    "fit_rules": [TITLE, SIZE],
    "engagement_rules": [PRICING, DEMO],
    "disqualifiers": [RIVAL],
}
EDITORS = ["marketer", "admin_user"]
READERS = ["rep", "manager"]


@pytest.fixture
def model(marketer):
    model = model_create(data={**BASE, "name": "Everyone"}, by=marketer)
    rule_add(model=model, kind="fit_rules", data=TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    return model


def user(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("role", EDITORS + READERS)
def test_every_role_reads_models_with_rules_described(request, api_as, role, model, marketer):
    model_publish(model=model, by=marketer, note="first")
    client = api_as(user(request, role))
    listed = client.get(URL)
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()["results"]] == [model.pk]
    body = client.get(f"{URL}{model.pk}/").json()
    assert body["name"] == "Everyone"
    assert body["fit_rules"][0]["description"] == "Job title contains 'vp' → +10"
    assert body["engagement_rules"][0]["description"] == (
        "Page view where url contains '/pricing' in the last 30 days → +5 each, max 15"
    )
    assert body["published"]["number"] == 1 and body["published"]["published_by"] == "marketer"


def test_anonymous_is_refused_everywhere(api, model):
    for method, url in [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}{model.pk}/"),
        ("patch", f"{URL}{model.pk}/"),
        ("delete", f"{URL}{model.pk}/"),
    ]:
        assert getattr(api, method)(url, {}, format="json").status_code == 401
    assert ScoringModel.objects.filter(pk=model.pk).exists()


def test_a_never_published_model_says_so(api_as, marketer, model):
    assert api_as(marketer).get(f"{URL}{model.pk}/").json()["published"] is None


@pytest.mark.parametrize("role", EDITORS)
def test_editors_create_a_model_with_nested_rules(request, api_as, role):
    response = api_as(user(request, role)).post(URL, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    model = ScoringModel.objects.get(pk=body["id"])
    assert (model.name, model.priority, model.fit_min) == ("Enterprise", 5, BASE["fit_min"])
    assert model.segment == [{"field": "company.employee_count", "operator": "gte", "value": 500}]
    assert [r.field for r in model.fitrules.all()] == ["job_title", "company.employee_count"]
    assert model.fitrules.first().value == "vp"  # normalised by the spec
    assert [r.event_type for r in model.engagementrules.all()] == ["page_view", "demo_request"]
    assert model.disqualifiers.get().label == "Competitor"
    assert [r["key"] for r in body["fit_rules"]] == list(
        model.fitrules.values_list("key", flat=True)
    )
    assert body["disqualifiers"][0]["description"].startswith("Competitor: email domain")


@pytest.mark.parametrize("role", READERS)
def test_readers_may_not_create_change_or_delete(request, api_as, role, model):
    client = api_as(user(request, role))
    assert client.post(URL, BODY, format="json").status_code == 403
    assert client.patch(f"{URL}{model.pk}/", {"fit_min": 1}, format="json").status_code == 403
    assert client.put(f"{URL}{model.pk}/", BODY, format="json").status_code == 403
    assert client.delete(f"{URL}{model.pk}/").status_code == 403
    model.refresh_from_db()
    assert ScoringModel.objects.count() == 1 and model.fit_min == BASE["fit_min"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"engagement_rules": [PRICING, DEMO, {**PRICING, "window_days": 0}]},
            "engagement_rules[2].window_days",
        ),
        ({"fit_rules": [{**TITLE, "operator": "gt"}]}, "fit_rules[0].operator"),
        ({"fit_rules": [TITLE, {**SIZE, "value": "lots"}]}, "fit_rules[1].value"),
        ({"fit_rules": [{**TITLE, "field": "salary"}]}, "fit_rules[0].field"),
        ({"fit_rules": [{**TITLE, "points": 0}]}, "fit_rules[0].points"),
        ({"fit_rules": ["not a rule"]}, "fit_rules[0]"),
        ({"fit_rules": {"field": "job_title"}}, "fit_rules"),
        ({"engagement_rules": [{**DEMO, "cap": 5}]}, "engagement_rules[0].cap"),
        ({"disqualifiers": [{**RIVAL, "label": ""}]}, "disqualifiers[0].label"),
        ({"segment": [{"field": "nope", "operator": "equals", "value": 1}]}, "segment[0].field"),
        ({"grade_a_min": 10}, "grade_a_min"),
        ({"lookback_days": 0}, "lookback_days"),
        ({"fit_min": "high"}, "fit_min"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
        ({"fit_rules": [{**TITLE, "key": "same"}, {**SIZE, "key": "same"}]}, "fit_rules[1].key"),
        ({"fit_rules": [{**TITLE, "key": "bad key!"}]}, "fit_rules[0].key"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field_and_nothing_is_written(
    api_as, marketer, model, change, field
):
    client = api_as(marketer)
    response = client.post(URL, {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert ScoringModel.objects.count() == 1  # only the fixture's

    before = list(FitRule.objects.values_list("key", "points")), model.draft_changed_at
    response = client.patch(f"{URL}{model.pk}/", change, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    model.refresh_from_db()
    assert (list(FitRule.objects.values_list("key", "points")), model.draft_changed_at) == before
    assert EngagementRule.objects.count() == 1


def test_a_model_name_is_unique(api_as, marketer, model):
    response = api_as(marketer).post(URL, {**BODY, "name": "Everyone"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_patch_changes_settings_and_only_the_rule_lists_sent(api_as, marketer, model):
    pricing = model.engagementrules.get()
    title = model.fitrules.get()
    response = api_as(marketer).patch(
        f"{URL}{model.pk}/",
        {"fit_min": 35, "fit_rules": [{**TITLE, "key": title.key, "points": 12}, SIZE]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    model.refresh_from_db()
    assert model.fit_min == 35 and model.name == "Everyone"
    rules = list(model.fitrules.all())
    assert rules[0].key == title.key and rules[0].points == 12  # the key was kept
    assert rules[1].key != title.key and rules[1].field == "company.employee_count"
    assert model.engagementrules.get().key == pricing.key  # not sent: untouched


def test_kept_keys_make_the_version_diff_see_a_change_not_a_swap(api_as, marketer, model):
    client = api_as(marketer)
    title = model.fitrules.get()
    assert (
        client.post(f"{URL}{model.pk}/publish/", {"note": "v1"}, format="json").status_code == 201
    )
    client.patch(
        f"{URL}{model.pk}/",
        {"fit_rules": [{**TITLE, "key": title.key, "points": 12}]},
        format="json",
    )
    assert (
        client.post(f"{URL}{model.pk}/publish/", {"note": "v2"}, format="json").status_code == 201
    )
    diff = client.get(f"{URL}{model.pk}/versions/diff/?from=1&to=2").json()
    assert diff["fit_rules"]["added"] == [] and diff["fit_rules"]["removed"] == []
    [changed] = diff["fit_rules"]["changed"]
    assert (changed["from"]["points"], changed["to"]["points"]) == (10, 12)


def test_a_key_used_by_another_rule_kind_is_refused(api_as, marketer, model):
    pricing_key = model.engagementrules.get().key
    response = api_as(marketer).patch(
        f"{URL}{model.pk}/", {"fit_rules": [{**TITLE, "key": pricing_key}]}, format="json"
    )
    assert response.status_code == 400 and "fit_rules[0].key" in response.json()


def test_put_replaces_the_whole_draft(api_as, marketer, model):
    body = {**BASE, "name": "Renamed", "fit_rules": [SIZE]}
    response = api_as(marketer).put(f"{URL}{model.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    model.refresh_from_db()
    assert model.name == "Renamed"
    assert [r.field for r in model.fitrules.all()] == ["company.employee_count"]
    assert not model.engagementrules.exists() and not model.disqualifiers.exists()


def test_put_needs_every_required_setting(api_as, marketer, model):
    body = {k: v for k, v in BASE.items() if k != "fit_min"} | {"name": "X"}
    response = api_as(marketer).put(f"{URL}{model.pk}/", body, format="json")
    assert response.status_code == 400 and "fit_min" in response.json()
    model.refresh_from_db()
    assert model.name == "Everyone"


@pytest.mark.parametrize("role", EDITORS)
def test_editors_delete_a_model_with_its_versions_and_scores(request, api_as, role, model, contact):
    from datetime import UTC, datetime

    from scoring.engine import Scope, score_chunk

    version = model_publish(model=model, by=None, note="")
    score_chunk(version=version, now=datetime.now(UTC), scope=Scope(ids=(contact.pk,)))
    assert ContactScore.objects.filter(model=model).exists()
    response = api_as(user(request, role)).delete(f"{URL}{model.pk}/")
    assert response.status_code == 204
    assert not ScoringModel.objects.exists() and not ModelVersion.objects.exists()
    assert not ContactScore.objects.exists()


def test_unknown_model_is_a_404(api_as, marketer):
    client = api_as(marketer)
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.patch(f"{URL}999999/", {}, format="json").status_code == 404
    assert client.delete(f"{URL}999999/").status_code == 404


def test_a_user_without_a_role_sees_no_models(api_as, model):
    from tests.factories import UserFactory

    client = api_as(UserFactory())
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{model.pk}/").status_code == 404


SCORING_PATHS = {
    "/api/v1/scoring-models/": {"get", "post"},
    "/api/v1/scoring-models/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/scoring-models/{id}/publish/": {"post"},
    "/api/v1/scoring-models/{id}/rollback/": {"post"},
    "/api/v1/scoring-models/{id}/preview/": {"post"},
    "/api/v1/scoring-models/{id}/versions/": {"get"},
    "/api/v1/scoring-models/{id}/versions/{number}/": {"get"},
    "/api/v1/scoring-models/{id}/versions/diff/": {"get"},
    "/api/v1/contacts/{id}/score/": {"get"},
}


def test_the_schema_documents_the_scoring_api(tmp_path):
    import yaml
    from django.core.management import call_command

    path = tmp_path / "schema.yml"
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(path))
    schema = yaml.safe_load(path.read_text())
    for url, methods in SCORING_PATHS.items():
        assert methods <= set(schema["paths"][url]), url
    contacts = {p["name"] for p in schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]}
    assert {"score_min", "score_max", "grade", "mql_eligible"} <= contacts


def test_listing_models_takes_a_fixed_number_of_queries(
    api_as, marketer, model, django_assert_max_num_queries
):
    for name in ("Second", "Third", "Fourth"):
        other = model_create(data={**BASE, "name": name}, by=marketer)
        rule_add(model=other, kind="fit_rules", data=TITLE)
        model_publish(model=other, by=marketer, note="")
    client = api_as(marketer)
    with django_assert_max_num_queries(12):
        assert len(client.get(URL).json()["results"]) == 4


def test_a_bad_rule_undoes_the_settings_sent_with_it(api_as, marketer, model):
    response = api_as(marketer).patch(
        f"{URL}{model.pk}/",
        {"fit_min": 99, "name": "Renamed", "fit_rules": [SIZE, {**TITLE, "points": "x"}]},
        format="json",
    )
    assert response.status_code == 400 and "fit_rules[1].points" in response.json()
    model.refresh_from_db()
    assert (model.fit_min, model.name) == (BASE["fit_min"], "Everyone")
    assert [r.field for r in model.fitrules.all()] == ["job_title"]

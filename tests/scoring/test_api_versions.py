"""Publish, rollback, versions, diffs and the draft preview through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Contact
from scoring.models import ContactScore, ModelVersion, ScoreHistory
from scoring.services import model_create, model_publish, rule_add
from tests.factories import BASE, ActivityEventFactory, ContactFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/scoring-models/"
TITLE = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 25}
SIZE = {"field": "company.employee_count", "operator": "gte", "value": 500, "points": 20}
PRICING = {
    "event_type": "page_view",
    "mode": "per_occurrence",
    "points": 5,
    "cap": 15,
    "window_days": 30,
}
EDITORS = ["marketer", "admin_user"]
READERS = ["rep", "manager"]


@pytest.fixture
def model(marketer):
    model = model_create(data={**BASE, "name": "Everyone"}, by=marketer)
    rule_add(model=model, kind="fit_rules", data=TITLE)
    rule_add(model=model, kind="engagement_rules", data=PRICING)
    return model


@pytest.fixture
def two_versions(model, marketer):
    model_publish(model=model, by=marketer, note="first")
    rule_add(model=model, kind="fit_rules", data=SIZE)
    model_publish(model=model, by=marketer, note="size")
    return model


def user(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("role", EDITORS)
def test_editors_publish_the_draft_with_a_note(request, api_as, role, model):
    who = user(request, role)
    response = api_as(who).post(f"{URL}{model.pk}/publish/", {"note": "Go live"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["number"], body["note"], body["published_by"]) == (1, "Go live", who.username)
    assert body["definition"]["fit_rules"][0]["value"] == "marketing"
    assert (
        body["described"]["fit_rules"][0]["description"] == "Job title contains 'marketing' → +25"
    )
    assert ModelVersion.objects.get(model=model).note == "Go live"


def test_publishing_an_unchanged_draft_is_a_400(api_as, marketer, model):
    client = api_as(marketer)
    assert client.post(f"{URL}{model.pk}/publish/", {}, format="json").status_code == 201
    response = client.post(f"{URL}{model.pk}/publish/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    assert ModelVersion.objects.count() == 1


@pytest.mark.parametrize("role", READERS)
def test_readers_may_not_publish_roll_back_or_preview(request, api_as, role, two_versions):
    client = api_as(user(request, role))
    pk = two_versions.pk
    assert client.post(f"{URL}{pk}/publish/", {"note": "x"}, format="json").status_code == 403
    assert client.post(f"{URL}{pk}/rollback/", {"version": 1}, format="json").status_code == 403
    assert client.post(f"{URL}{pk}/preview/", {}, format="json").status_code == 403
    assert ModelVersion.objects.count() == 2


def test_anonymous_may_not_use_version_endpoints(api, two_versions):
    pk = two_versions.pk
    for method, url in [
        ("post", f"{URL}{pk}/publish/"),
        ("post", f"{URL}{pk}/rollback/"),
        ("post", f"{URL}{pk}/preview/"),
        ("get", f"{URL}{pk}/versions/"),
        ("get", f"{URL}{pk}/versions/1/"),
        ("get", f"{URL}{pk}/versions/diff/?from=1&to=2"),
    ]:
        assert getattr(api, method)(url, {}).status_code == 401, url


@pytest.mark.parametrize("role", EDITORS + READERS)
def test_every_role_reads_versions_and_diffs(request, api_as, role, two_versions):
    client = api_as(user(request, role))
    pk = two_versions.pk
    listed = client.get(f"{URL}{pk}/versions/").json()
    assert [(v["number"], v["note"]) for v in listed] == [(2, "size"), (1, "first")]
    one = client.get(f"{URL}{pk}/versions/1/").json()
    assert len(one["definition"]["fit_rules"]) == 1
    diff = client.get(f"{URL}{pk}/versions/diff/?from=1&to=2").json()
    assert (diff["from"], diff["to"]) == (1, 2)
    [added] = diff["fit_rules"]["added"]
    assert added["field"] == "company.employee_count"
    assert diff["fit_rules"]["removed"] == [] and diff["settings"] == {}
    back = client.get(f"{URL}{pk}/versions/diff/?from=2&to=1").json()
    assert back["fit_rules"]["removed"] == [added]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("", "from", 400),
        ("?from=1", "to", 400),
        ("?from=x&to=2", "from", 400),
        ("?from=1&to=9", "to", 400),
        ("?from=0&to=2", "from", 400),
    ],
)
def test_diff_parameters_are_checked(api_as, marketer, two_versions, query, field, code):
    response = api_as(marketer).get(f"{URL}{two_versions.pk}/versions/diff/{query}")
    assert response.status_code == code and field in response.json()


def test_unknown_version_and_model_are_404(api_as, marketer, two_versions):
    client = api_as(marketer)
    assert client.get(f"{URL}{two_versions.pk}/versions/3/").status_code == 404
    assert client.get(f"{URL}999999/versions/").status_code == 404
    assert client.post(f"{URL}999999/publish/", {}, format="json").status_code == 404


@pytest.mark.parametrize("role", EDITORS)
def test_editors_roll_back_to_an_old_version(request, api_as, role, two_versions):
    response = api_as(user(request, role)).post(
        f"{URL}{two_versions.pk}/rollback/", {"version": 1}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["number"] == 3
    assert response.json()["note"] == "Rolled back to version 1"
    v1, v3 = (two_versions.versions.get(number=n) for n in (1, 3))
    assert v3.definition == v1.definition
    assert two_versions.fitrules.count() == 1  # the draft is version 1's rules again


@pytest.mark.parametrize(
    ("body", "field"), [({}, "version"), ({"version": "x"}, "version"), ({"version": 7}, "version")]
)
def test_rollback_input_is_checked(api_as, marketer, two_versions, body, field):
    response = api_as(marketer).post(f"{URL}{two_versions.pk}/rollback/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert ModelVersion.objects.count() == 2


def test_preview_answers_with_numbers_and_examples_and_writes_nothing(api_as, marketer, model):
    now = timezone.now()
    hot = ContactFactory(job_title="Head of Marketing", email="hot@big.example")
    for days in (1, 2, 3):
        ActivityEventFactory(contact=hot, occurred_at=now - timedelta(days=days))
    ContactFactory(job_title="Engineer")
    model_publish(model=model, by=marketer, note="")
    rule_add(model=model, kind="fit_rules", data={**SIZE, "value": 100})  # factory: 250 staff
    before = (ContactScore.objects.count(), ScoreHistory.objects.count())

    response = api_as(marketer).post(f"{URL}{model.pk}/preview/", {"examples": 2}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    # Both contacts have a 250-employee company: the draft gives each +20 fit; only the
    # contact with engagement and the marketing title is eligible either way.
    assert body["scored"] == body["published_scored"] == Contact.objects.count()
    assert body["published_version"] == 1
    assert (body["draft_eligible"], body["published_eligible"]) == (1, 1)
    assert (body["gained"], body["lost"]) == (0, 0)
    assert {d["key"] for d in body["by_segment"] if d["group"] == "membership"} == {"both"}
    assert body["gained_examples"] == [] and body["lost_examples"] == []
    assert (ContactScore.objects.count(), ScoreHistory.objects.count()) == before


def test_preview_lists_gained_contacts(api_as, marketer, model):
    model_publish(model=model, by=marketer, note="")
    contact = ContactFactory(job_title="Engineer", email="eng@example.com")
    # The draft lets fit alone qualify via the total.
    client = api_as(marketer)
    client.patch(f"{URL}{model.pk}/", {"total_min": 0}, format="json")
    body = client.post(f"{URL}{model.pk}/preview/", {}, format="json").json()
    assert body["gained"] == 1
    [example] = body["gained_examples"]
    assert (example["contact_id"], example["email"]) == (contact.pk, "eng@example.com")
    assert example["draft_total"] == 0.0 and example["published_total"] == 0.0


@pytest.mark.parametrize("examples", [-1, 51, "many"])
def test_preview_input_is_checked(api_as, marketer, model, examples):
    response = api_as(marketer).post(
        f"{URL}{model.pk}/preview/", {"examples": examples}, format="json"
    )
    assert response.status_code == 400 and "examples" in response.json()

"""GET /api/v1/contacts/{id}/score/ and the score filters of GET /api/v1/contacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import ActivityEvent, Contact
from scoring import reference
from scoring.engine import Scope, score_chunk
from scoring.models import ContactScore
from scoring.services import model_create, model_publish, model_update, rule_add
from scoring.spec import ModelSpec
from tests.factories import BASE, ActivityEventFactory, CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db
EVERYONE = Scope(lo=0, hi=2**62)
TITLE = {"field": "job_title", "operator": "contains", "value": "marketing", "points": 25}
SIZE = {"field": "company.employee_count", "operator": "gte", "value": 1000, "points": 40}
PRICING = {
    "event_type": "page_view",
    "mode": "per_occurrence",
    "points": 5,
    "cap": 15,
    "window_days": 30,
}
RIVAL = {"label": "Competitor", "field": "email", "operator": "email_domain_in", "value": ["r.com"]}


@pytest.fixture
def scored(marketer, rep, other_rep):
    """A published model, contacts of both reps and one unscored model-less world, all scored."""
    now = timezone.now()
    model = model_create(data={**BASE, "name": "Everyone"}, by=marketer)
    title = rule_add(model=model, kind="fit_rules", data=TITLE)
    size = rule_add(model=model, kind="fit_rules", data=SIZE)
    pricing = rule_add(model=model, kind="engagement_rules", data=PRICING)
    rule_add(model=model, kind="disqualifiers", data=RIVAL)
    version = model_publish(model=model, by=marketer, note="")
    big = CompanyFactory(employee_count=5000)
    contacts = {
        "mine": ContactFactory(job_title="Head of Marketing", company=big, owner=rep),
        "theirs": ContactFactory(job_title="Engineer", owner=other_rep),
        "rival": ContactFactory(job_title="Marketing lead", email="x@r.com", owner=rep),
        "cold": ContactFactory(job_title="Engineer", company=None, owner=rep),
    }
    for days in (1, 2, 3, 4):
        ActivityEventFactory(contact=contacts["mine"], occurred_at=now - timedelta(days=days))
    ActivityEventFactory(contact=contacts["rival"], occurred_at=now - timedelta(days=1))
    score_chunk(version=version, now=now, scope=EVERYONE)
    return {
        "model": model,
        "version": version,
        "contacts": contacts,
        "keys": (title.key, size.key, pricing.key),
        "now": now,
    }


def url(contact):
    return f"/api/v1/contacts/{contact.pk}/score/"


@pytest.mark.parametrize("role", ["rep", "manager", "marketer", "admin_user"])
def test_the_score_is_explained_rule_by_rule(request, api_as, role, scored):
    contact = scored["contacts"]["mine"]
    response = api_as(request.getfixturevalue(role)).get(url(contact))
    assert response.status_code == 200
    body = response.json()
    stored = ContactScore.objects.get(contact=contact)
    assert body["scored"] is True and body["contact_id"] == contact.pk
    assert body["model"] == {"id": scored["model"].pk, "name": "Everyone"}
    assert body["version"] == 1
    assert (body["fit"], body["engagement"], body["total"]) == (65.0, 15.0, 80.0)
    assert (body["grade"], body["mql_eligible"], body["blocked_by"]) == ("A", True, "")
    assert body["scored_at"] is not None and stored.total == body["total"]
    title, size, pricing = scored["keys"]
    assert [(r["kind"], r["key"], r["points"]) for r in body["rules"]] == [
        ("fit", title, 25.0),
        ("fit", size, 40.0),
        ("engagement", pricing, 15.0),
    ]
    assert body["rules"][0]["description"] == "Job title contains 'marketing' → +25"


def test_a_blocked_score_names_its_disqualifier(api_as, rep, scored):
    body = api_as(rep).get(url(scored["contacts"]["rival"])).json()
    assert body["mql_eligible"] is False and body["blocked_by"] == "Competitor"
    assert body["rules"][-1]["kind"] == "disqualifier"
    assert body["rules"][-1]["description"].startswith("Competitor: email domain is one of")


def test_a_rep_gets_404_for_another_reps_contact(api_as, rep, other_rep, scored):
    theirs = scored["contacts"]["theirs"]
    assert api_as(rep).get(url(theirs)).status_code == 404
    assert api_as(other_rep).get(url(theirs)).status_code == 200


def test_anonymous_and_unknown(api, api_as, manager, scored):
    assert api.get(url(scored["contacts"]["mine"])).status_code == 401
    assert api_as(manager).get("/api/v1/contacts/999999/score/").status_code == 404


def test_an_unscored_contact_answers_clearly(api_as, manager):
    contact = ContactFactory()
    body = api_as(manager).get(url(contact)).json()
    assert body["scored"] is False and body["contact_id"] == contact.pk
    assert body["total"] is None and body["model"] is None and body["rules"] == []


def test_the_score_of_an_inactive_model_is_not_current(api_as, manager, scored):
    model_update(model=scored["model"], data={"is_active": False})
    assert api_as(manager).get(url(scored["contacts"]["mine"])).json()["scored"] is False


LIST = "/api/v1/contacts/"


def ids(response):
    assert response.status_code == 200, response.json()
    return {c["id"] for c in response.json()["results"]}


def expected(scored, keep):
    """Contacts whose reference score satisfies `keep`, computed per contact by the oracle."""
    spec = ModelSpec.from_dict(scored["version"].definition)
    out = set()
    for contact in Contact.objects.select_related("company"):
        events = list(ActivityEvent.objects.filter(contact=contact))
        result = reference.evaluate(spec, contact, events, scored["now"])
        if result is not None and keep(result):
            out.add(contact.pk)
    return out


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("score_min=20", lambda r: r.total >= 20),
        ("score_max=20", lambda r: r.total <= 20),
        ("score_min=1&score_max=50", lambda r: 1 <= r.total <= 50),
        ("grade=A", lambda r: r.grade == "A"),
        ("grade=C&grade=D", lambda r: r.grade in "CD"),
        ("mql_eligible=true", lambda r: r.mql_eligible),
        ("mql_eligible=false", lambda r: not r.mql_eligible),
        ("grade=C&score_min=26", lambda r: r.grade == "C" and r.total >= 26),
    ],
)
def test_contact_list_filters_on_the_score(api_as, manager, scored, query, keep):
    want = expected(scored, keep)
    ContactFactory()  # never scored: no score filter matches it
    assert ids(api_as(manager).get(f"{LIST}?{query}")) == want
    assert want  # the data set makes every filter meaningful


def test_score_filters_keep_a_rep_to_their_own_contacts(api_as, rep, scored):
    theirs = scored["contacts"]["theirs"]
    got = ids(api_as(rep).get(f"{LIST}?score_min=-1000"))
    assert theirs.pk not in got
    assert got == {c.pk for c in scored["contacts"].values() if c.owner_id == rep.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("score_min=high", "score_min"),
        ("score_max=1e400", "score_max"),
        ("score_min=NaN", "score_min"),
        ("score_min=10&score_max=5", "score_max"),
        ("grade=E", "grade"),
        ("mql_eligible=maybe", "mql_eligible"),
    ],
)
def test_bad_score_filters_are_a_400_naming_the_filter(api_as, manager, scored, query, field):
    response = api_as(manager).get(f"{LIST}?{query}")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_contacts_page_accepts_the_score_filters(client, manager, scored):
    client.force_login(manager)
    assert client.get("/contacts/?grade=A&score_min=10").status_code == 200

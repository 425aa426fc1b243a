from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken

from leads.models import Company, Contact, LifecycleStage, StageChange
from leads.services import stage_change
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


def detail_url(contact) -> str:
    return f"{URL}{contact.pk}/"


# --- POST: create or update by email -----------------------------------------------------------


def test_post_creates_a_contact_with_its_company_and_first_history_row(api_as, marketer):
    resp = api_as(marketer).post(
        URL,
        {
            "email": "Ada@Example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "country": "gb",
            "company": {"domain": "Example.com", "name": "Example Ltd", "industry": "Software"},
        },
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    contact = Contact.objects.get()
    assert body["id"] == contact.pk
    assert (contact.email, contact.country, contact.lifecycle_stage) == (
        "ada@example.com",
        "GB",
        LifecycleStage.LEAD,
    )
    assert contact.company.domain == "example.com"
    assert body["company"]["name"] == "Example Ltd"
    assert [(h["from"], h["to"], h["actor"]) for h in body["stage_history"]] == [
        ("", "lead", "marketer")
    ]


def test_post_with_a_known_email_updates_and_answers_200(api_as, marketer):
    company = CompanyFactory(domain="example.com", name="Old name")
    existing = ContactFactory(email="ada@example.com", first_name="A", company=company)
    resp = api_as(marketer).post(
        URL,
        {
            "email": "ADA@example.com",
            "first_name": "Ada",
            "company": {"domain": "EXAMPLE.com", "name": "New name"},
        },
        format="json",
    )
    assert resp.status_code == 200
    existing.refresh_from_db()
    assert existing.first_name == "Ada"
    assert Contact.objects.count() == 1
    assert Company.objects.get().name == "New name"
    assert StageChange.objects.filter(contact=existing).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({}, "email"),
        ({"email": "a@example.com", "seniority": "emperor"}, "seniority"),
        ({"email": "a@example.com", "country": "Germany"}, "country"),
        ({"email": "a@example.com", "attributes": [1]}, "attributes"),
        ({"email": "a@example.com", "owner": 999999}, "owner"),
        ({"email": "a@example.com", "company": {"name": "No domain"}}, "company"),
        ({"email": "a@example.com", "company": {"domain": "x.com", "tags": "a,b"}}, "company"),
        ({"email": "a@example.com", "first_name": ["x"]}, "first_name"),
    ],
)
def test_post_with_bad_input_is_400_naming_the_field(api_as, marketer, payload, field):
    resp = api_as(marketer).post(URL, payload, format="json")
    assert resp.status_code == 400
    assert field in resp.json()
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0


def test_post_with_malformed_json_is_400(api_as, marketer):
    resp = api_as(marketer).post(URL, '{"email": ', content_type="application/json")
    assert resp.status_code == 400


def test_lifecycle_stage_in_post_is_ignored(api_as, marketer):
    resp = api_as(marketer).post(
        URL, {"email": "a@example.com", "lifecycle_stage": "customer"}, format="json"
    )
    assert resp.status_code == 201
    assert Contact.objects.get().lifecycle_stage == LifecycleStage.LEAD


def test_rep_cannot_create_contacts(api_as, rep):
    resp = api_as(rep).post(URL, {"email": "a@example.com"}, format="json")
    assert resp.status_code == 403
    assert Contact.objects.count() == 0


def test_post_cannot_update_a_contact_the_user_may_not_see(api_as, rep, other_rep):
    # A user who may add contacts but sees only their own ones.
    from django.contrib.auth.models import Permission

    rep.user_permissions.add(Permission.objects.get(codename="add_contact"))
    ContactFactory(email="theirs@example.com", owner=other_rep, first_name="Theirs")
    resp = api_as(rep).post(
        URL, {"email": "theirs@example.com", "first_name": "Mine"}, format="json"
    )
    assert resp.status_code == 403
    assert "email" in resp.json()
    assert Contact.objects.get().first_name == "Theirs"


def test_post_updating_an_existing_contact_needs_change_permission(api_as):
    from django.contrib.auth.models import Permission

    adder = UserFactory()
    adder.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_contact", "view_contact", "view_all_contacts"]
        )
    )
    ContactFactory(email="known@example.com", first_name="Old")
    client = api_as(adder)
    assert client.post(URL, {"email": "new@example.com"}, format="json").status_code == 201
    resp = client.post(URL, {"email": "known@example.com", "first_name": "New"}, format="json")
    assert resp.status_code == 403
    assert Contact.objects.get(email="known@example.com").first_name == "Old"


# --- GET list ---------------------------------------------------------------------------------


def test_list_costs_the_same_queries_for_many_contacts(
    api_as, marketer, django_assert_max_num_queries
):
    for _ in range(30):
        ContactFactory(owner=marketer)
    client = api_as(marketer)
    with django_assert_max_num_queries(6):
        resp = client.get(URL)
    assert len(resp.json()["results"]) == 30


def test_list_is_paginated_and_filtered(api_as, marketer, rep):
    mql = ContactFactory(email="mql@example.com", owner=rep, source="webinar")
    stage_change(contact=mql, to_stage=LifecycleStage.MQL, reason="score", system="scoring")
    ContactFactory(email="lead@example.com", source="ads")
    client = api_as(marketer)

    everyone = client.get(URL).json()
    assert everyone["count"] == 2 and {"next", "previous", "results"} <= set(everyone)

    assert [c["email"] for c in client.get(URL, {"stage": "mql"}).json()["results"]] == [
        "mql@example.com"
    ]
    assert [c["email"] for c in client.get(URL, {"owner": rep.pk}).json()["results"]] == [
        "mql@example.com"
    ]
    assert [c["email"] for c in client.get(URL, {"source": "ADS"}).json()["results"]] == [
        "lead@example.com"
    ]


def test_list_search_matches_name_email_and_company(api_as, marketer):
    ContactFactory(
        email="x@example.com", first_name="Grace", company=CompanyFactory(name="Hopper Inc")
    )
    ContactFactory(email="y@example.com", first_name="Alan", company=CompanyFactory(name="Turing"))
    client = api_as(marketer)
    for term in ("grace", "hopper", "x@example"):
        results = client.get(URL, {"search": term}).json()["results"]
        assert [c["email"] for c in results] == ["x@example.com"], term


def test_list_filters_by_industry_country_and_created_window(api_as, marketer):
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        ContactFactory(email="old@example.com", country="FR")
    ContactFactory(
        email="new@example.com", country="DE", company=CompanyFactory(industry="Banking")
    )
    client = api_as(marketer)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    def emails(**params):
        return [c["email"] for c in client.get(URL, params).json()["results"]]

    assert emails(created_after=since) == ["new@example.com"]
    assert emails(created_before=since) == ["old@example.com"]
    assert emails(industry="banking") == ["new@example.com"]
    assert emails(country="fr") == ["old@example.com"]


def test_list_with_a_bad_filter_value_is_400(api_as, marketer):
    resp = api_as(marketer).get(URL, {"stage": "king", "created_after": "soon"})
    assert resp.status_code == 400
    assert {"stage", "created_after"} <= set(resp.json())


def test_rep_lists_only_own_contacts(api_as, rep, other_rep):
    ContactFactory(email="mine@example.com", owner=rep)
    ContactFactory(email="theirs@example.com", owner=other_rep)
    results = api_as(rep).get(URL).json()["results"]
    assert [c["email"] for c in results] == ["mine@example.com"]


# --- GET detail -------------------------------------------------------------------------------


def test_detail_shows_stage_history_and_time_per_stage(api_as, marketer):
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False):
        contact = ContactFactory()
    stage_change(
        contact=contact,
        to_stage=LifecycleStage.MQL,
        reason="Scored 80",
        system="scoring",
        now=start + timedelta(days=1),
    )
    stage_change(
        contact=contact,
        to_stage=LifecycleStage.OPPORTUNITY,
        reason="Budget confirmed",
        by=marketer,
        override=True,
        now=start + timedelta(days=2),
    )
    body = api_as(marketer).get(detail_url(contact)).json()
    assert body["lifecycle_stage"] == "opportunity"
    history = body["stage_history"]
    assert [(h["from"], h["to"], h["actor"], h["override"]) for h in history] == [
        ("", "lead", "tests", False),
        ("lead", "mql", "scoring", False),
        ("mql", "opportunity", "marketer", True),
    ]
    assert history[2]["reason"] == "Budget confirmed"
    assert {"when", "id"} <= set(history[0])
    stays = body["stage_stays"]
    assert [s["stage"] for s in stays] == ["lead", "mql", "opportunity"]
    assert stays[0]["seconds"] == 86400 and stays[1]["seconds"] == 86400
    assert stays[2]["left_at"] is None


def test_detail_of_someone_elses_contact_is_404_for_a_rep(api_as, rep, other_rep):
    mine = ContactFactory(owner=rep)
    theirs = ContactFactory(owner=other_rep)
    client = api_as(rep)
    assert client.get(detail_url(mine)).status_code == 200
    assert client.get(detail_url(theirs)).status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404


# --- PATCH ------------------------------------------------------------------------------------


def test_patch_changes_fields_and_company(api_as, manager, rep):
    contact = ContactFactory(job_title="Engineer")
    resp = api_as(manager).patch(
        detail_url(contact),
        {"job_title": "CTO", "owner": rep.pk, "company": {"domain": "new.example", "name": "New"}},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    contact.refresh_from_db()
    assert (contact.job_title, contact.owner, contact.company.domain) == ("CTO", rep, "new.example")
    assert resp.json()["owner"] == rep.pk


def test_patch_with_null_company_detaches_it(api_as, marketer):
    contact = ContactFactory()
    resp = api_as(marketer).patch(detail_url(contact), {"company": None}, format="json")
    assert resp.status_code == 200 and resp.json()["company"] is None
    contact.refresh_from_db()
    assert contact.company is None
    assert Company.objects.count() == 1


@pytest.mark.parametrize("field", ["lifecycle_stage", "email"])
def test_patch_refuses_read_only_fields(api_as, marketer, field):
    contact = ContactFactory()
    resp = api_as(marketer).patch(detail_url(contact), {field: "customer"}, format="json")
    assert resp.status_code == 400
    assert list(resp.json()) == [field]
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD


def test_patch_with_a_bad_value_is_400_and_changes_nothing(api_as, marketer):
    contact = ContactFactory(job_title="Engineer")
    resp = api_as(marketer).patch(
        detail_url(contact), {"job_title": "CTO", "seniority": "emperor"}, format="json"
    )
    assert resp.status_code == 400 and "seniority" in resp.json()
    contact.refresh_from_db()
    assert contact.job_title == "Engineer"


def test_rep_may_edit_own_contact_but_not_its_owner(api_as, rep, other_rep):
    contact = ContactFactory(owner=rep)
    client = api_as(rep)
    assert client.patch(detail_url(contact), {"phone": "+49 1"}, format="json").status_code == 200
    assert client.patch(detail_url(contact), {"owner": rep.pk}, format="json").status_code == 200
    resp = client.patch(detail_url(contact), {"owner": other_rep.pk}, format="json")
    assert resp.status_code == 403
    assert "owner" in resp.json()
    contact.refresh_from_db()
    assert contact.owner == rep and contact.phone == "+49 1"


def test_rep_cannot_patch_someone_elses_contact(api_as, rep, other_rep):
    contact = ContactFactory(owner=other_rep, job_title="Engineer")
    resp = api_as(rep).patch(detail_url(contact), {"job_title": "CTO"}, format="json")
    assert resp.status_code == 404
    contact.refresh_from_db()
    assert contact.job_title == "Engineer"


# --- who may do what --------------------------------------------------------------------------

# (role, may list/read, may create, may patch, may change stage, may send events)
ROLE_MATRIX = [
    ("marketer", True, True, True, True, True),
    ("rep_owning", True, False, True, True, False),
    ("outsider", False, False, False, False, False),
    ("manager", True, False, True, True, False),
    ("admin_user", True, True, True, True, True),
]


@pytest.fixture
def people(marketer, rep, other_rep, manager, admin_user):
    return {
        "marketer": marketer,
        "rep_owning": rep,
        "outsider": other_rep,
        "manager": manager,
        "admin_user": admin_user,
    }


@pytest.mark.parametrize(("who", "read", "create", "patch", "stage", "events"), ROLE_MATRIX)
def test_role_matrix(api_as, people, who, read, create, patch, stage, events):
    owner = people["rep_owning"]
    contact = ContactFactory(owner=owner, email="owned@example.com")
    client = api_as(people[who])

    listed = client.get(URL).json()["results"]
    assert ([c["id"] for c in listed] == [contact.pk]) is read
    assert client.get(detail_url(contact)).status_code == (200 if read else 404)
    assert client.get(f"{detail_url(contact)}events/").status_code == (200 if read else 404)

    resp = client.post(URL, {"email": f"{who}@example.com"}, format="json")
    assert resp.status_code == (201 if create else 403)

    resp = client.patch(detail_url(contact), {"job_title": who}, format="json")
    assert resp.status_code == (200 if patch else 404)

    resp = client.post(
        f"{detail_url(contact)}stage/", {"to_stage": "mql", "reason": "fit"}, format="json"
    )
    assert resp.status_code == (200 if stage else 404)

    resp = client.post(
        "/api/v1/events/",
        {"contact": contact.pk, "event_type": "page_view", "occurred_at": "2025-01-01T00:00:00Z"},
        format="json",
    )
    assert resp.status_code == (201 if events else 403)


def test_user_without_a_role_sees_nothing_and_changes_nothing(api_as):
    nobody = UserFactory()
    contact = ContactFactory()
    client = api_as(nobody)
    assert client.get(URL).json()["results"] == []
    assert client.get(detail_url(contact)).status_code == 404
    assert client.patch(detail_url(contact), {"job_title": "x"}, format="json").status_code == 403
    assert client.post(URL, {"email": "a@example.com"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", URL),
        ("get", f"{URL}1/"),
        ("patch", f"{URL}1/"),
        ("post", f"{URL}1/stage/"),
        ("get", f"{URL}1/events/"),
        ("post", "/api/v1/events/"),
    ],
)
def test_anonymous_gets_401_everywhere(api, method, path):
    resp = getattr(api, method)(path, {}, format="json")
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"] == "Token"


def test_token_authentication_works_and_revoked_tokens_do_not(api, marketer, contact):
    instance, key = AuthToken.objects.create(marketer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(detail_url(contact)).status_code == 200
    instance.delete()
    assert api.get(detail_url(contact)).status_code == 401


def test_session_authentication_needs_csrf_for_writes(marketer, contact):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)
    assert client.get(detail_url(contact)).status_code == 200
    resp = client.patch(detail_url(contact), {"job_title": "x"}, format="json")
    assert resp.status_code == 403
    assert "CSRF" in resp.json()["detail"]

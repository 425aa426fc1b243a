"""/api/v1/deals/: create or update by external id, filters, read access per role, write
access for marketers and admins, 4xx naming the field."""

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from insights.models import Deal
from insights.services import deal_upsert
from leads.models import Contact, LifecycleStage
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/deals/"


def body(contact, **extra) -> dict:
    return {"contact": contact.pk, "name": "Acme", "amount": "12000.00"} | extra


@pytest.fixture
def owned(rep):
    """A contact the rep owns, with an open deal, and one somebody else owns, with a won one."""
    mine = ContactFactory(owner=rep, email="mine@example.com")
    theirs = ContactFactory(email="theirs@example.com")
    deal_upsert(data={"contact": mine, "name": "Mine", "amount": 100})
    deal_upsert(data={"contact": theirs, "name": "Theirs", "amount": 200, "stage": "won"})
    return mine, theirs


# --- POST ---------------------------------------------------------------------------------------


def test_post_creates_then_updates_by_source_and_external_id(api_as, marketer, contact):
    client = api_as(marketer)
    first = client.post(URL, body(contact, source="hubspot", external_id="42"), format="json")
    assert first.status_code == 201, first.json()
    again = client.post(URL, body(contact, source="hubspot", external_id="42"), format="json")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    changed = client.post(
        URL, body(contact, source="hubspot", external_id="42", stage="won"), format="json"
    )
    assert changed.status_code == 200
    deal = Deal.objects.get()
    assert deal.stage == "won" and deal.closed_at is not None
    assert changed.json()["closed_at"] is not None
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == LifecycleStage.CUSTOMER


def test_post_names_the_contact_by_email_and_answers_with_the_deal(api_as, marketer):
    contact = ContactFactory(email="ada@example.com")
    resp = api_as(marketer).post(
        URL,
        {"contact_email": "ADA@example.com", "name": "Ada's deal", "amount": 5},
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    data = resp.json()
    assert data["contact"] == contact.pk and data["contact_email"] == "ada@example.com"
    assert data["company"] == contact.company_id and data["company_name"] == contact.company.name
    assert (data["amount"], data["currency"], data["stage"]) == ("5.00", "USD", "open")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"stage": "maybe"}, "stage"),
        ({"closed_at": "2026-01-01T00:00:00Z"}, "closed_at"),
        ({"name": ""}, "name"),
        ({"contact": 10**9}, "contact"),
        ({"company": 10**9}, "company"),
        ({"created_at": "3000-01-01T00:00:00Z"}, "created_at"),
        ({"external_id": "x" * 201}, "external_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, marketer, contact, change, field):
    resp = api_as(marketer).post(URL, body(contact) | change, format="json")
    assert resp.status_code == 400
    assert field in resp.json(), resp.json()
    assert not Deal.objects.exists()


def test_a_deal_without_a_contact_is_a_400_naming_contact(api_as, marketer):
    resp = api_as(marketer).post(URL, {"name": "x", "amount": 1}, format="json")
    assert resp.status_code == 400 and "contact" in resp.json()
    resp = api_as(marketer).post(
        URL, {"contact_email": "nobody@example.com", "name": "x", "amount": 1}, format="json"
    )
    assert resp.status_code == 400 and "contact_email" in resp.json()


def test_a_body_that_is_not_an_object_is_a_400(api_as, marketer):
    resp = api_as(marketer).post(URL, [1, 2], format="json")
    assert resp.status_code == 400


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_sales_may_not_write_deals(api_as, request, who, contact, owned):
    user = request.getfixturevalue(who)
    mine, _ = owned
    resp = api_as(user).post(URL, body(mine), format="json")
    assert resp.status_code == 403
    deal = Deal.objects.get(contact=mine)
    assert api_as(user).patch(f"{URL}{deal.pk}/", {"amount": 1}, format="json").status_code == 403
    assert Deal.objects.count() == 2


def test_an_admin_writes_deals(api_as, admin_user, contact):
    assert api_as(admin_user).post(URL, body(contact), format="json").status_code == 201


# --- GET: who sees which deals -------------------------------------------------------------------


def test_a_rep_sees_only_the_deals_of_contacts_they_own(api_as, rep, owned):
    mine, theirs = owned
    names = [d["name"] for d in api_as(rep).get(URL).json()["results"]]
    assert names == ["Mine"]
    other = Deal.objects.get(contact=theirs)
    assert api_as(rep).get(f"{URL}{other.pk}/").status_code == 404


@pytest.mark.parametrize("who", ["marketer", "manager", "admin_user"])
def test_marketing_managers_and_admins_see_every_deal(api_as, request, who, owned):
    resp = api_as(request.getfixturevalue(who)).get(URL)
    assert resp.status_code == 200
    assert resp.json()["count"] == 2


def test_anonymous_requests_are_refused(client):
    assert client.get(URL).status_code in (401, 403)


def test_filters_by_stage_contact_company_source_and_dates(api_as, marketer, owned):
    mine, theirs = owned
    client = api_as(marketer)
    company = CompanyFactory()
    deal_upsert(
        data={"contact": mine, "company": company, "name": "Crm", "amount": 1},
        source="Pipedrive",
        external_id="p-1",
    )

    def names(**params):
        resp = client.get(URL, params)
        assert resp.status_code == 200, resp.json()
        return sorted(d["name"] for d in resp.json()["results"])

    assert names(stage="won") == ["Theirs"]
    assert names(stage=["won", "open"]) == ["Crm", "Mine", "Theirs"]
    assert names(contact=mine.pk) == ["Crm", "Mine"]
    assert names(company=company.pk) == ["Crm"]
    assert names(source="pipedrive") == ["Crm"]
    assert names(created_after="2000-01-01T00:00:00Z") == ["Crm", "Mine", "Theirs"]
    assert names(created_before="2000-01-01T00:00:00Z") == []
    assert names(closed_after="2000-01-01T00:00:00Z") == ["Theirs"]


def test_bad_filters_are_400s_naming_them(api_as, rep, owned):
    _, theirs = owned
    client = api_as(rep)
    assert "created_after" in client.get(URL, {"created_after": "soon"}).json()
    assert "stage" in client.get(URL, {"stage": "maybe"}).json()
    # a contact the rep may not see is as unknown as one that does not exist
    resp = client.get(URL, {"contact": theirs.pk})
    assert resp.status_code == 400 and "contact" in resp.json()


# --- PATCH --------------------------------------------------------------------------------------


def test_patch_wins_a_deal_and_moves_the_contact_to_customer(api_as, marketer, owned):
    mine, _ = owned
    deal = Deal.objects.get(contact=mine)
    resp = api_as(marketer).patch(f"{URL}{deal.pk}/", {"stage": "won"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["stage"] == "won"
    assert Contact.objects.get(pk=mine.pk).lifecycle_stage == LifecycleStage.CUSTOMER


def test_patch_refuses_changing_the_identity_and_bad_values(api_as, marketer, owned):
    mine, _ = owned
    deal = Deal.objects.get(contact=mine)
    client = api_as(marketer)
    resp = client.patch(f"{URL}{deal.pk}/", {"external_id": "new"}, format="json")
    assert resp.status_code == 400 and "external_id" in resp.json()
    resp = client.patch(f"{URL}{deal.pk}/", {"amount": "-1"}, format="json")
    assert resp.status_code == 400 and "amount" in resp.json()
    assert client.patch(f"{URL}{10**9}/", {"amount": 1}, format="json").status_code == 404
    deal.refresh_from_db()
    assert deal.amount == Decimal("100.00")


# --- schema -------------------------------------------------------------------------------------


def test_the_schema_documents_the_deal_endpoints_and_their_errors(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(path))
    paths = yaml.safe_load(path.read_text())["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/deals/"])
    assert {"201", "200", "400", "403"} <= set(paths["/api/v1/deals/"]["post"]["responses"])
    assert {"get", "patch"} <= set(paths["/api/v1/deals/{id}/"])
    assert "404" in paths["/api/v1/deals/{id}/"]["patch"]["responses"]
    parameters = {p["name"] for p in paths["/api/v1/deals/"]["get"]["parameters"]}
    assert {"stage", "contact", "company", "source", "created_after", "closed_before"} <= parameters
    assert {"get", "post"} <= set(paths["/api/v1/campaign-spend/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/campaign-spend/{id}/"])

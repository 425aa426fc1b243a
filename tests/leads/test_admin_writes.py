"""Admin edits of contacts and companies go through the leads services, so a changed contact or
company is rescored like one changed on a page or through the API."""

import pytest
from django.contrib.auth import get_user_model

from leads.models import Company, Contact, LifecycleStage, StageChange
from scoring.models import ContactScore
from tests.factories import CMO, CompanyFactory, ContactFactory, published_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def form_data(response) -> dict:
    """What the admin's change form would post back unchanged (its own and its inlines' forms)."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def admin_edit(client, url: str, **changes):
    return client.post(url, {**form_data(client.get(url)), **changes})


def fit(contact: Contact) -> int | None:
    score = ContactScore.objects.filter(contact=contact).first()
    return score.fit if score else None


def test_an_admin_edit_of_a_contacts_job_title_rescores_it(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    published_model(by=superuser, fit=[CMO], engagement=())
    contact = ContactFactory(job_title="Intern")
    url = f"/admin/leads/contact/{contact.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_edit(admin_client, url, job_title="CMO")

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.job_title == "CMO"
    assert fit(contact) == 25


def test_an_admin_edit_of_a_companys_industry_rescores_its_contacts(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    fintech = {"field": "company.industry", "operator": "equals", "value": "fintech", "points": 30}
    published_model(by=superuser, fit=[fintech], engagement=())
    company = CompanyFactory(industry="Retail")
    staff = [ContactFactory(company=company) for _ in range(2)]
    url = f"/admin/leads/company/{company.pk}/change/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_edit(admin_client, url, industry="Fintech")

    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).industry == "Fintech"
    assert [fit(c) for c in staff] == [30, 30]


def test_the_admin_cannot_write_a_contacts_stage(admin_client):
    contact = ContactFactory()
    url = f"/admin/leads/contact/{contact.pk}/change/"

    response = admin_edit(admin_client, url, lifecycle_stage=LifecycleStage.CUSTOMER)

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    assert StageChange.objects.filter(contact=contact).count() == 1


def test_an_admin_edit_leaves_a_stage_changed_meanwhile_alone(admin_client, superuser):
    contact = ContactFactory()
    url = f"/admin/leads/contact/{contact.pk}/change/"
    data = form_data(admin_client.get(url))
    Contact.objects.filter(pk=contact.pk).update(lifecycle_stage=LifecycleStage.MQL)

    response = admin_client.post(url, {**data, "first_name": "Ada"})

    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.lifecycle_stage) == ("Ada", LifecycleStage.MQL)


def test_an_admin_can_correct_a_contacts_email(admin_client):
    contact = ContactFactory(email="ada@exmaple.com")
    url = f"/admin/leads/contact/{contact.pk}/change/"

    response = admin_edit(admin_client, url, email="Ada@Example.com")

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email == "ada@example.com"


def test_contacts_and_companies_added_in_the_admin_are_made_by_the_services(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    published_model(by=superuser, fit=[CMO], engagement=())
    add_company = admin_client.get("/admin/leads/company/add/")
    response = admin_client.post(
        "/admin/leads/company/add/",
        {**form_data(add_company), "name": "Acme", "domain": "Acme.Example", "tags": "[]"},
    )
    assert response.status_code == 302
    company = Company.objects.get(name="Acme")
    assert company.domain == "acme.example"

    add_contact = admin_client.get("/admin/leads/contact/add/")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/leads/contact/add/",
            {
                **form_data(add_contact),
                "email": "grace@example.com",
                "job_title": "CMO",
                "company": company.pk,
                "attributes": "{}",
            },
        )
    assert response.status_code == 302
    contact = Contact.objects.get(email="grace@example.com")
    [first] = StageChange.objects.filter(contact=contact)
    assert (first.to_stage, first.actor_user, first.reason) == (
        LifecycleStage.LEAD,
        superuser,
        "Created in admin",
    )
    assert fit(contact) == 25

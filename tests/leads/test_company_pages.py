"""The companies list and the company page, for every role: who sees which company and which of
its contacts (the contacts' rule: marketing, managers and admins all, a rep the companies of the
contacts they own), and what the pages show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import LifecycleStage
from leads.selectors import companies_for_user
from tests.factories import CompanyFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def acme(rep, other_rep):
    """A company with one contact of `rep`, one of `other_rep` and one nobody owns."""
    company = CompanyFactory(
        name="Acme Robotics",
        domain="acme-robotics.example",
        industry="Robotics",
        employee_count=1200,
        country="FR",
        tags=["erp", "salesforce"],
    )
    ContactFactory(company=company, first_name="Mine", last_name="Rep", owner=rep)
    ContactFactory(
        company=company,
        first_name="Theirs",
        last_name="Other",
        owner=other_rep,
        lifecycle_stage=LifecycleStage.MQL,
    )
    ContactFactory(company=company, first_name="Nobodys", last_name="Contact")
    return company


# --- login required -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_the_companies_list(client):
    response = client.get(reverse("companies"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('companies')}"


def test_anonymous_is_sent_to_login_from_a_company_page(client, acme):
    url = reverse("company", args=[acme.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


# --- who sees which company ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager", "admin_user"])
def test_marketing_managers_and_admins_see_every_company_and_all_its_contacts(
    client, request, role, acme
):
    empty = CompanyFactory(name="Nobody Works Here")
    client = login(client, request.getfixturevalue(role))
    page = client.get(reverse("companies")).content.decode()
    assert "Acme Robotics" in page and "Nobody Works Here" in page
    assert client.get(reverse("company", args=[empty.pk])).status_code == 200
    response = client.get(reverse("company", args=[acme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mine Rep" in html and "Theirs Other" in html and "Nobodys Contact" in html
    assert "3 contacts" in html


def test_a_rep_sees_the_company_of_a_contact_they_own_with_only_that_contact(
    client, rep, other_rep, acme
):
    mine = acme.contacts.get(owner=rep)
    response = login(client, rep).get(reverse("company", args=[acme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mine Rep" in html and reverse("contact", args=[mine.pk]) in html
    assert "Theirs Other" not in html and "Nobodys Contact" not in html
    assert "1 contact you own" in html


def test_a_rep_who_owns_none_of_its_contacts_gets_a_404(client, acme):
    outsider = UserFactory(role="sales_rep", username="outsider")
    client = login(client, outsider)
    assert client.get(reverse("company", args=[acme.pk])).status_code == 404
    assert "Acme Robotics" not in client.get(reverse("companies")).content.decode()


def test_a_rep_gets_a_404_for_a_company_without_contacts(client, rep):
    empty = CompanyFactory()
    assert login(client, rep).get(reverse("company", args=[empty.pk])).status_code == 404


def test_a_user_without_a_role_sees_no_company(client, acme):
    client = login(client, UserFactory())
    assert client.get(reverse("company", args=[acme.pk])).status_code == 404
    assert "Acme Robotics" not in client.get(reverse("companies")).content.decode()


def test_a_missing_company_is_a_404(client, marketer):
    assert login(client, marketer).get(reverse("company", args=[999999])).status_code == 404


def test_the_company_rule_is_the_contact_rule(rep, other_rep, marketer, acme):
    """companies_for_user follows contacts_for_user: a rep's companies are exactly those of the
    contacts they own, and the count is of the contacts they may see."""
    elsewhere = CompanyFactory(name="Elsewhere")
    ContactFactory(company=elsewhere, owner=other_rep)
    ContactFactory(company=None, owner=rep)  # a contact without a company adds none
    assert list(companies_for_user(user=rep).values_list("name", "visible_contacts")) == [
        ("Acme Robotics", 1)
    ]
    assert dict(companies_for_user(user=marketer).values_list("name", "visible_contacts")) == {
        "Acme Robotics": 3,
        "Elsewhere": 1,
    }


# --- the list -----------------------------------------------------------------------------------


def test_the_list_counts_the_contacts_each_user_may_see(client, rep, marketer, acme):
    row = 'href="{}">Acme Robotics</a>'.format(reverse("company", args=[acme.pk]))
    page = login(client, marketer).get(reverse("companies")).content.decode()
    assert row in page
    assert '<td class="right">3</td>' in page
    page = login(client, rep).get(reverse("companies")).content.decode()
    assert row in page
    assert '<td class="right">1</td>' in page and '<td class="right">3</td>' not in page
    assert "The companies of the contacts you own." in page


def test_search_by_name_or_domain_and_filter_by_industry_and_country(client, marketer):
    CompanyFactory(name="Globex", domain="globex.example", industry="Energy", country="US")
    CompanyFactory(name="Initech", domain="initech.example", industry="Software", country="DE")
    client = login(client, marketer)

    def names(**params):
        page = client.get(reverse("companies"), params).content.decode()
        return {name for name in ("Globex", "Initech") if f">{name}</a>" in page}

    assert names(search="globe") == {"Globex"}
    assert names(search="initech.example") == {"Initech"}
    assert names(industry="software") == {"Initech"}
    assert names(country="us") == {"Globex"}
    assert names() == {"Globex", "Initech"}
    page = client.get(reverse("companies"), {"search": "zzzz"}).content.decode()
    assert "No companies match" in page


def test_a_rep_with_no_companies_gets_a_helpful_empty_state(client, rep, other_rep):
    ContactFactory(owner=other_rep)
    page = login(client, rep).get(reverse("companies")).content.decode()
    assert "The companies of the contacts assigned to you will show up here." in page


def test_the_list_is_paginated_keeps_its_filters_and_sorts_by_whitelisted_keys(client, marketer):
    for i in range(30):
        CompanyFactory(name=f"Co {i:02}", industry="Media")
    client = login(client, marketer)
    page = client.get(reverse("companies"), {"industry": "media"}).content.decode()
    assert ">Co 00</a>" in page and ">Co 25</a>" not in page
    assert "Page 1 of 2" in page
    assert "?industry=media&amp;page=2" in page
    page = client.get(reverse("companies"), {"industry": "media", "page": 2}).content.decode()
    assert ">Co 25</a>" in page and ">Co 00</a>" not in page
    page = client.get(reverse("companies"), {"sort": "-name"}).content.decode()
    assert page.index(">Co 29</a>") < page.index(">Co 28</a>")
    response = client.get(reverse("companies"), {"sort": "contacts__owner__password"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(">Co 00</a>") < page.index(">Co 01</a>")  # back to by name


def test_sorting_by_contacts_puts_the_biggest_first(client, marketer):
    small = CompanyFactory(name="Small")
    big = CompanyFactory(name="Big")
    ContactFactory(company=small)
    for _ in range(3):
        ContactFactory(company=big)
    page = login(client, marketer).get(reverse("companies"), {"sort": "-contacts"})
    html = page.content.decode()
    assert html.index(">Big</a>") < html.index(">Small</a>")


def test_htmx_request_gets_only_the_results(client, marketer, acme):
    response = login(client, marketer).get(reverse("companies"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="results"')
    assert "Acme Robotics" in page and "<html" not in page


def test_the_list_costs_the_same_queries_for_1_or_25_companies(client, marketer):
    ContactFactory()
    client = login(client, marketer)
    client.get(reverse("companies"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("companies"))
    for _ in range(25):
        ContactFactory()
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("companies")).content.decode()
    assert "Page 1 of 2" in page
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


# --- the company page -----------------------------------------------------------------------------


def test_the_company_page_shows_its_attributes_and_links_its_contacts(client, marketer, acme):
    html = login(client, marketer).get(reverse("company", args=[acme.pk])).content.decode()
    for text in ("Acme Robotics", "acme-robotics.example", "Robotics", "1,200", "FR"):
        assert text in html
    assert '<span class="tag">erp</span>' in html and '<span class="tag">salesforce</span>' in html
    for contact in acme.contacts.all():
        assert f'href="{reverse("contact", args=[contact.pk])}"' in html
    assert '<span class="stage stage-mql">MQL</span>' in html
    assert "None" not in html


def test_a_company_with_empty_attributes_shows_dashes_never_none(client, marketer):
    bare = CompanyFactory(
        name="Bare", domain="", industry="", employee_count=None, country="", tags=[]
    )
    html = login(client, marketer).get(reverse("company", args=[bare.pk])).content.decode()
    assert "None" not in html
    assert "<dt>Employees</dt><dd>—</dd>" in html
    assert "No contacts at this company yet." in html
    page = client.get(reverse("companies"), {"search": "Bare"}).content.decode()
    assert "None" not in page


def test_the_company_page_lists_the_first_100_contacts_and_says_how_many(client, marketer):
    company = CompanyFactory()
    for i in range(101):
        ContactFactory(company=company, first_name="P", last_name=f"N{i:03}")
    html = login(client, marketer).get(reverse("company", args=[company.pk])).content.decode()
    assert "The first 100 of 101, by name" in html
    assert "P N099" in html and "P N100" not in html


def test_the_contact_page_links_its_company(client, marketer, acme):
    contact = acme.contacts.first()
    html = login(client, marketer).get(reverse("contact", args=[contact.pk])).content.decode()
    assert f'<a href="{reverse("company", args=[acme.pk])}">Acme Robotics</a>' in html


def test_the_contact_page_prints_no_none_for_a_company_without_employee_count(client, marketer):
    contact = ContactFactory(company=CompanyFactory(employee_count=None))
    html = login(client, marketer).get(reverse("contact", args=[contact.pk])).content.decode()
    assert "<dt>Employees</dt><dd>—</dd>" in html


@pytest.mark.parametrize("role", ["marketer", "rep", "manager", "admin_user"])
def test_the_navigation_shows_companies_to_every_role_that_sees_contacts(client, request, role):
    page = login(client, request.getfixturevalue(role)).get(reverse("companies"))
    assert f'href="{reverse("companies")}" aria-current="page">Companies</a>' in (
        page.content.decode()
    )


def test_the_navigation_hides_companies_from_a_user_without_a_role(client):
    page = login(client, UserFactory()).get(reverse("contacts")).content.decode()
    assert f'href="{reverse("companies")}"' not in page

"""Deals on the contact page (leads.hooks.contact_page_panels) and on the company page
(leads.hooks.company_page_panels), per role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights.models import Deal
from insights.selectors import DEALS_SHOWN
from insights.services import deal_upsert
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_deals(rep):
    contact = ContactFactory(owner=rep)
    deal_upsert(data={"contact": contact, "name": "Pilot", "amount": "1200", "stage": "won"})
    deal_upsert(
        data={"contact": contact, "name": "Expansion", "amount": "800.5"},
        source="hubspot",
        external_id="H-9",
    )
    deal_upsert(
        data={
            "contact": contact,
            "name": "Addon",
            "amount": 50,
            "stage": "lost",
            "lost_reason": "Timing",
        }
    )
    return contact


@pytest.mark.parametrize("who", ["rep", "manager", "marketer", "admin_user"])
def test_whoever_sees_the_contact_sees_its_deals(client, request, who, with_deals):
    client.force_login(request.getfixturevalue(who))
    page = client.get(reverse("contact", args=[with_deals.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="deals"' in html
    assert "Pilot" in html and "Expansion" in html and "Timing" in html
    assert 'id="deals-won">1,200 USD<' in html
    assert "#H-9" in html


def test_another_rep_gets_no_contact_page_and_so_no_deals(client, other_rep, with_deals):
    client.force_login(other_rep)
    assert client.get(reverse("contact", args=[with_deals.pk])).status_code == 404


def test_a_contact_without_deals_says_so_and_marketers_get_the_import_link(client, marketer, rep):
    contact = ContactFactory()
    client.force_login(marketer)
    html = client.get(reverse("contact", args=[contact.pk])).content.decode()
    assert "No deals for this contact yet." in html
    assert "?kind=deals" in html
    client.force_login(rep)
    mine = ContactFactory(owner=rep)
    html = client.get(reverse("contact", args=[mine.pk])).content.decode()
    assert "No deals for this contact yet." in html and "?kind=deals" not in html


def test_the_stage_history_names_the_deal(client, marketer, with_deals):
    client.force_login(marketer)
    html = client.get(reverse("contact", args=[with_deals.pk])).content.decode()
    assert "Deal &#x27;Pilot&#x27; won (1,200 USD)" in html


def test_the_timeline_shows_the_won_move_above_the_move_it_followed(client, marketer):
    """A deal created won makes two moves at the same moment; newest first, customer is on top."""
    contact = ContactFactory()
    deal_upsert(data={"contact": contact, "name": "Pilot", "amount": 5, "stage": "won"})
    client.force_login(marketer)
    html = client.get(reverse("contact", args=[contact.pk])).content.decode()
    timeline = html.split('id="timeline"')[1]
    assert timeline.index("Deal &#x27;Pilot&#x27; won") < timeline.index(
        "Deal &#x27;Pilot&#x27; created"
    )


# --- the company page (leads.hooks.company_page_panels) ------------------------------------------


@pytest.fixture
def company_deals(rep, other_rep):
    """A company with a won, an open and a lost deal of `rep`'s contact and an open one of
    `other_rep`'s, and a deal of another company."""
    company = CompanyFactory(name="Acme Robotics")
    mine = ContactFactory(company=company, owner=rep, first_name="Ada", last_name="Mine")
    theirs = ContactFactory(company=company, owner=other_rep, first_name="Bo", last_name="Theirs")
    deal_upsert(data={"contact": mine, "name": "Pilot", "amount": "1200", "stage": "won"})
    deal_upsert(data={"contact": mine, "name": "Expansion", "amount": "800.5"})
    deal_upsert(
        data={
            "contact": mine,
            "name": "Addon",
            "amount": 50,
            "stage": "lost",
            "lost_reason": "Timing",
        }
    )
    deal_upsert(data={"contact": theirs, "name": "Rollout", "amount": "3000"})
    deal_upsert(data={"contact": ContactFactory(), "name": "Elsewhere", "amount": "99"})
    return company


@pytest.mark.parametrize("who", ["manager", "marketer", "admin_user"])
def test_the_company_page_lists_the_companys_deals_with_their_totals(
    client, request, who, company_deals
):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("company", args=[company_deals.pk])).content.decode()
    assert 'id="deals"' in html
    for name in ("Pilot", "Expansion", "Addon", "Rollout"):
        assert f"<td>{name}</td>" in html
    assert "Elsewhere" not in html
    assert "Timing" in html  # the lost reason
    assert "4 deals" in html
    assert 'id="deals-won">1,200 USD<' in html
    assert 'id="deals-open">3,800.50 USD<' in html
    mine = Deal.objects.get(name="Pilot").contact
    assert f'<a href="{reverse("contact", args=[mine.pk])}">Ada Mine</a>' in html


def test_a_rep_sees_on_the_company_page_only_the_deals_of_their_contacts(
    client, rep, company_deals
):
    client.force_login(rep)
    html = client.get(reverse("company", args=[company_deals.pk])).content.decode()
    assert "Pilot" in html and "Rollout" not in html and "Bo Theirs" not in html
    assert 'id="deals-open">800.50 USD<' in html
    assert "of the contacts you own" in html


def test_the_deals_use_the_organisations_currency(client, marketer, company_deals, settings):
    settings.LEADBRIDGE_CURRENCY = "EUR"
    client.force_login(marketer)
    html = client.get(reverse("company", args=[company_deals.pk])).content.decode()
    assert "Amount (EUR)" in html and 'id="deals-won">1,200 EUR<' in html


def test_a_company_without_deals_says_so(client, marketer):
    company = CompanyFactory()
    ContactFactory(company=company)
    client.force_login(marketer)
    html = client.get(reverse("company", args=[company.pk])).content.decode()
    assert "No deals for this company yet." in html and "?kind=deals" in html


def test_beyond_the_listed_deals_the_count_and_totals_cover_them_all(client, marketer):
    contact = ContactFactory()
    for i in range(DEALS_SHOWN + 2):
        deal_upsert(data={"contact": contact, "name": f"D{i}", "amount": 10})
    deal_upsert(data={"contact": contact, "name": "Big", "amount": 1000, "stage": "won"})
    client.force_login(marketer)
    html = client.get(reverse("company", args=[contact.company_id])).content.decode()
    assert f"the latest {DEALS_SHOWN} of 103 deals" in html
    assert 'id="deals-won">1,000 USD<' in html
    assert f'id="deals-open">{(DEALS_SHOWN + 2) * 10:,} USD<' in html
    assert html.count('<tr id="deal-') == DEALS_SHOWN


def test_the_company_page_costs_the_same_queries_for_any_number_of_contacts_and_deals(
    client, marketer, django_assert_max_num_queries
):
    company = CompanyFactory()
    deal_upsert(data={"contact": ContactFactory(company=company), "name": "D0", "amount": 10})
    url = reverse("company", args=[company.pk])
    client.force_login(marketer)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(1, 25):
        contact = ContactFactory(company=company)
        deal_upsert(data={"contact": contact, "name": f"D{i}", "amount": 10, "stage": "won"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert "25 deals" in html and "25 contacts" in html
    assert len(few.captured_queries) <= 9  # session, user, permissions, company, contacts, deals, …

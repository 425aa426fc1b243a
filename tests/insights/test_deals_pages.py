"""Deals on the contact page (leads.hooks.contact_page_panels), per role."""

import pytest
from django.urls import reverse

from insights.services import deal_upsert
from tests.factories import ContactFactory

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

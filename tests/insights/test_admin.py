"""The Django admin of insights writes through insights.services: a deal saved there moves its
contact as one sent to the API does, a refused write shows its message next to the field and
leaves nothing behind, deals are never deleted, spend rows are one per campaign, channel and
month, and backtests are read-only."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from insights.models import CampaignSpend, Deal, DealStage
from insights.services import deal_upsert, spend_upsert
from leads.models import Contact, LifecycleStage, StageChange
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
DEALS = "/admin/insights/deal/"
SPEND = "/admin/insights/campaignspend/"


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def deal_form(contact, **fields) -> dict:
    """What the admin's add form posts for a new deal (the dates left empty unless given)."""
    return {
        "contact": contact.pk,
        "company": "",
        "name": "Acme",
        "amount": "12000.00",
        "stage": "open",
        "created_at_0": "",
        "created_at_1": "",
        "closed_at_0": "",
        "closed_at_1": "",
        "lost_reason": "",
        "source": "",
        "external_id": "",
    } | fields


def edit_form(deal: Deal, **fields) -> dict:
    """What the admin's change form posts back for a deal, with `fields` changed."""
    local = timezone.localtime
    closed = local(deal.closed_at) if deal.closed_at else None
    return {
        "contact": deal.contact_id,
        "company": deal.company_id or "",
        "name": deal.name,
        "amount": str(deal.amount),
        "stage": deal.stage,
        "created_at_0": f"{local(deal.created_at):%Y-%m-%d}",
        "created_at_1": f"{local(deal.created_at):%H:%M:%S}",
        "closed_at_0": f"{closed:%Y-%m-%d}" if closed else "",
        "closed_at_1": f"{closed:%H:%M:%S}" if closed else "",
        "lost_reason": deal.lost_reason,
    } | fields


def moves(contact) -> list[tuple]:
    """The contact's stage history as the comparable part of each row."""
    return list(
        StageChange.objects.filter(contact=contact)
        .order_by("changed_at", "id")
        .values_list("from_stage", "to_stage", "actor_system", "actor_user", "override", "reason")
    )


def test_a_deal_added_in_the_admin_moves_its_contact_to_opportunity_as_the_api_does(
    admin_client, api_as, marketer
):
    in_admin = ContactFactory(email="admin@example.com", lifecycle_stage=LifecycleStage.MQL)
    in_api = ContactFactory(email="api@example.com", lifecycle_stage=LifecycleStage.MQL)

    response = admin_client.post(f"{DEALS}add/", deal_form(in_admin))
    assert response.status_code == 302, response.content.decode()[:2000]
    api = api_as(marketer).post(
        "/api/v1/deals/",
        {"contact": in_api.pk, "name": "Acme", "amount": "12000.00"},
        format="json",
    )
    assert api.status_code == 201, api.json()

    assert Contact.objects.get(pk=in_admin.pk).lifecycle_stage == LifecycleStage.OPPORTUNITY
    assert Contact.objects.get(pk=in_api.pk).lifecycle_stage == LifecycleStage.OPPORTUNITY
    assert moves(in_admin)[-1] == (
        "mql",
        "opportunity",
        "deals",
        None,
        True,
        "Deal 'Acme' created (12,000 USD)",
    )
    assert moves(in_admin) == moves(in_api)
    by_admin, by_api = Deal.objects.get(contact=in_admin), Deal.objects.get(contact=in_api)
    assert by_admin.company_id == in_admin.company_id  # the contact's company, as in the API
    assert (by_admin.currency, by_admin.stage, by_admin.closed_at) == ("USD", "open", None)
    assert (by_api.currency, by_api.stage, by_api.closed_at) == ("USD", "open", None)


def test_a_deal_won_in_the_admin_is_closed_now_and_makes_its_contact_a_customer(admin_client):
    contact = ContactFactory()
    deal = deal_upsert(data={"contact": contact, "name": "Pilot", "amount": 500}).deal
    url = f"{DEALS}{deal.pk}/change/"
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, edit_form(deal, stage="won"))

    assert response.status_code == 302, response.content.decode()[:2000]
    deal.refresh_from_db()
    assert deal.stage == DealStage.WON and deal.closed_at is not None
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == LifecycleStage.CUSTOMER
    assert moves(contact)[-1][1:3] == ("customer", "deals")


def test_a_write_the_service_refuses_is_shown_next_to_its_field_and_writes_nothing(
    admin_client,
):
    contact = ContactFactory()
    today = f"{timezone.localdate():%Y-%m-%d}"
    response = admin_client.post(
        f"{DEALS}add/",
        deal_form(contact, closed_at_0=today, closed_at_1="00:00:00"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "An open deal has no close date" in errors["closed_at"][0]
    assert not Deal.objects.exists()
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == LifecycleStage.LEAD
    assert len(moves(contact)) == 1

    response = admin_client.post(f"{DEALS}add/", deal_form(contact, amount="-5"))
    assert response.status_code == 200
    assert "cannot be negative" in response.context["adminform"].form.errors["amount"][0]
    assert not Deal.objects.exists()


def test_deals_are_not_deleted_in_the_admin(admin_client):
    deal = deal_upsert(data={"contact": ContactFactory(), "name": "Keep", "amount": 1}).deal
    assert admin_client.get(f"{DEALS}{deal.pk}/delete/").status_code == 403
    page = admin_client.get(DEALS).content.decode()
    assert "Keep" in page and "delete_selected" not in page


def test_a_deals_source_and_external_id_are_read_only_once_it_exists(admin_client):
    deal = deal_upsert(
        data={"contact": ContactFactory(), "name": "Synced", "amount": 1},
        source="hubspot",
        external_id="H-1",
    ).deal
    form = admin_client.get(f"{DEALS}{deal.pk}/change/").context["adminform"].form
    assert "source" not in form.fields and "external_id" not in form.fields
    assert "source" in admin_client.get(f"{DEALS}add/").context["adminform"].form.fields


def test_the_deals_list_searches_and_filters(admin_client):
    deal_upsert(data={"contact": ContactFactory(email="ada@example.com"), "name": "A", "amount": 1})
    deal_upsert(data={"contact": ContactFactory(), "name": "B", "amount": 1, "stage": "won"})
    assert admin_client.get(DEALS, {"q": "ada@"}).context["cl"].result_count == 1
    assert admin_client.get(DEALS, {"stage__exact": "won"}).context["cl"].result_count == 1


def test_spend_added_in_the_admin_is_stored_on_the_months_first_day_and_replaces_its_amount(
    admin_client,
):
    form = {"campaign": "spring", "channel": "ads", "month": "2026-03-17", "amount": "100"}
    assert admin_client.post(f"{SPEND}add/", form).status_code == 302
    assert admin_client.post(f"{SPEND}add/", form | {"amount": "250"}).status_code == 302
    spend = CampaignSpend.objects.get()
    assert (spend.month, spend.amount) == (date(2026, 3, 1), Decimal("250.00"))


def test_moving_spend_onto_a_month_that_has_a_row_is_refused_next_to_the_month(admin_client):
    spend_upsert(campaign="spring", channel="ads", month="2026-03", amount=1)
    april, _ = spend_upsert(campaign="spring", channel="ads", month="2026-04", amount=2)
    response = admin_client.post(
        f"{SPEND}{april.pk}/change/",
        {"campaign": "spring", "channel": "ads", "month": "2026-03-09", "amount": "2"},
    )
    assert response.status_code == 200
    assert "already has a spend" in response.context["adminform"].form.errors["month"][0]
    april.refresh_from_db()
    assert april.month == date(2026, 4, 1)


def test_spend_is_deleted_through_the_service_one_row_or_many(admin_client):
    rows = [
        spend_upsert(campaign="c", channel="x", month=f"2026-0{m}", amount=1)[0] for m in (1, 2, 3)
    ]
    response = admin_client.post(f"{SPEND}{rows[0].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    response = admin_client.post(
        SPEND,
        {"action": "delete_selected", "_selected_action": [r.pk for r in rows[1:]], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CampaignSpend.objects.exists()


def test_backtests_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/insights/backtest/").status_code == 200
    assert admin_client.get("/admin/insights/backtest/add/").status_code == 403


def test_the_admin_changelists_answer(admin_client):
    deal_upsert(
        data={
            "contact": ContactFactory(),
            "name": "Old",
            "amount": 1,
            "created_at": timezone.now() - timedelta(days=3),
        }
    )
    spend_upsert(campaign="c", channel="x", month="2026-01", amount=1)
    for url in (DEALS, SPEND, f"{DEALS}add/", f"{SPEND}add/"):
        assert admin_client.get(url).status_code == 200, url

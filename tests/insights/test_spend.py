"""Campaign spend: the writer (one row per campaign, channel and month), its API and its page."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.exceptions import DomainError
from insights.models import CampaignSpend
from insights.services import CREATED, UNCHANGED, UPDATED, spend_update, spend_upsert

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaign-spend/"


def spend(**extra):
    values = {"campaign": "spring", "channel": "google_ads", "month": "2026-03", "amount": "1500"}
    return spend_upsert(**(values | extra))


# --- the writer ---------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["2026-03", "2026-3", "2026-03-17", date(2026, 3, 31)])
def test_a_month_is_stored_as_its_first_day(month):
    row, _ = spend(month=month)
    assert row.month == date(2026, 3, 1)


def test_the_same_campaign_channel_and_month_is_one_row_whose_amount_is_replaced():
    first, created = spend()
    same, unchanged = spend(month="2026-03-20")
    changed, updated = spend(amount="1750.25")
    assert (created, unchanged, updated) == (CREATED, UNCHANGED, UPDATED)
    assert first.pk == same.pk == changed.pk
    assert CampaignSpend.objects.get().amount == Decimal("1750.25")
    spend(channel="linkedin")
    spend(month="2026-04")
    assert CampaignSpend.objects.count() == 3


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"month": "March"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1e3x"}, "amount"),
        ({"campaign": ""}, "campaign"),
        ({"channel": " "}, "channel"),
        ({"campaign": "x" * 201}, "campaign"),
    ],
)
def test_bad_values_are_refused_naming_the_field(extra, field):
    with pytest.raises(DomainError) as refused:
        spend(**extra)
    assert refused.value.field == field
    assert not CampaignSpend.objects.exists()


def test_moving_a_row_onto_another_month_that_has_one_is_refused():
    row, _ = spend()
    spend(month="2026-04")
    with pytest.raises(DomainError) as refused:
        spend_update(spend=row, data={"month": "2026-04"})
    assert refused.value.field == "month"
    assert spend_update(spend=row, data={"month": "2026-05"}).month == date(2026, 5, 1)


# --- API ----------------------------------------------------------------------------------------


def test_marketers_upsert_list_patch_and_delete_spend(api_as, marketer):
    client = api_as(marketer)
    body = {"campaign": "spring", "channel": "google_ads", "month": "2026-03", "amount": "10"}
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["month"] == "2026-03-01"
    assert client.post(URL, body | {"amount": "12"}, format="json").status_code == 200
    client.post(URL, body | {"month": "2026-04-01"}, format="json")

    listed = client.get(URL, {"month_from": "2026-04"}).json()
    assert [r["month"] for r in listed["results"]] == ["2026-04-01"]
    assert client.get(URL, {"channel": "GOOGLE_ADS"}).json()["count"] == 2

    pk = created.json()["id"]
    patched = client.patch(f"{URL}{pk}/", {"amount": "99.50"}, format="json")
    assert patched.status_code == 200 and patched.json()["amount"] == "99.50"
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert client.get(f"{URL}{pk}/").status_code == 404
    assert CampaignSpend.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [({"month": "soon"}, "month"), ({"amount": "-3"}, "amount"), ({"campaign": ""}, "campaign")],
)
def test_bad_spend_is_a_400_naming_the_field(api_as, marketer, change, field):
    body = {"campaign": "spring", "channel": "google_ads", "month": "2026-03", "amount": "10"}
    resp = api_as(marketer).post(URL, body | change, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.json()


def test_a_bad_month_filter_is_a_400(api_as, marketer):
    assert "month_from" in api_as(marketer).get(URL, {"month_from": "March"}).json()


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_sales_neither_read_nor_write_spend(api_as, request, who):
    row, _ = spend()
    client = api_as(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{row.pk}/").status_code == 403
    body = {"campaign": "x", "channel": "y", "month": "2026-01", "amount": "1"}
    assert client.post(URL, body, format="json").status_code == 403
    assert client.delete(f"{URL}{row.pk}/").status_code == 403
    assert CampaignSpend.objects.count() == 1


def test_admins_manage_spend(api_as, admin_user):
    row, _ = spend()
    assert api_as(admin_user).delete(f"{URL}{row.pk}/").status_code == 204


# --- the page -----------------------------------------------------------------------------------


def test_the_spend_page_lists_filters_and_totals_for_a_marketer(client, marketer):
    spend()
    spend(campaign="autumn", amount="500")
    client.force_login(marketer)
    page = client.get(reverse("insights:spend")).content.decode()
    assert "spring" in page and "autumn" in page
    assert 'id="spend-total">2,000 USD<' in page
    assert "?kind=campaign_spend" in page  # the CSV import link
    assert reverse("insights:spend") in client.get(reverse("contacts")).content.decode()  # nav
    filtered = client.get(reverse("insights:spend"), {"campaign": "autumn"}).content.decode()
    assert "spring" not in filtered and 'id="spend-total">500 USD<' in filtered


def test_the_add_form_upserts_and_shows_errors_next_to_the_field(client, marketer):
    client.force_login(marketer)
    url = reverse("insights:spend")
    resp = client.post(
        url, {"campaign": "spring", "channel": "ads", "month": "2026-03", "amount": "7"}
    )
    assert resp.status_code == 302
    assert CampaignSpend.objects.get().month == date(2026, 3, 1)
    resp = client.post(
        url, {"campaign": "spring", "channel": "ads", "month": "nope", "amount": "7"}
    )
    assert resp.status_code == 400
    assert 'id="month-error"' in resp.content.decode()


def test_the_edit_page_changes_and_deletes_a_row(client, marketer):
    row, _ = spend()
    client.force_login(marketer)
    edit = reverse("insights:spend-edit", args=[row.pk])
    assert client.get(edit).status_code == 200
    resp = client.post(
        edit, {"campaign": "spring", "channel": "google_ads", "month": "2026-03", "amount": "9"}
    )
    assert resp.status_code == 302
    assert CampaignSpend.objects.get().amount == Decimal("9")
    assert client.post(reverse("insights:spend-delete", args=[row.pk])).status_code == 302
    assert not CampaignSpend.objects.exists()


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_sales_get_no_spend_page_and_no_nav_link(client, request, who):
    row, _ = spend()
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("insights:spend")).status_code == 403
    assert client.get(reverse("insights:spend-edit", args=[row.pk])).status_code == 403
    assert client.post(reverse("insights:spend-delete", args=[row.pk])).status_code == 403
    assert reverse("insights:spend") not in client.get(reverse("contacts")).content.decode()
    assert CampaignSpend.objects.exists()


def test_an_admin_sees_the_spend_page(client, admin_user):
    client.force_login(admin_user)
    assert client.get(reverse("insights:spend")).status_code == 200

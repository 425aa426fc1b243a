"""Deals: the one writer (insights.services.deal_upsert / deal_update), its idempotency, its
validation and the stage moves it makes through leads' stage writer."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import DomainError
from insights.models import Deal, DealStage
from insights.services import CREATED, UNCHANGED, UPDATED, deal_update, deal_upsert
from leads.models import Contact, LifecycleStage, StageChange
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def payload(contact, **extra) -> dict:
    return {"contact": contact, "name": "Acme renewal", "amount": "12000", **extra}


def stage_of(contact) -> str:
    return Contact.objects.get(pk=contact.pk).lifecycle_stage


def deal_moves(contact) -> list[tuple[str, str, str, str]]:
    return list(
        StageChange.objects.filter(contact=contact, actor_system="deals")
        .order_by("changed_at", "id")
        .values_list("from_stage", "to_stage", "reason", "actor_system")
    )


# --- create or update by external id ------------------------------------------------------------


def test_the_same_payload_twice_is_one_deal_and_the_second_call_changes_nothing(contact):
    first = deal_upsert(data=payload(contact), source="hubspot", external_id="D-1", now=NOW)
    second = deal_upsert(data=payload(contact), source="hubspot", external_id="D-1", now=NOW)

    assert (first.outcome, second.outcome) == (CREATED, UNCHANGED)
    assert second.deal.pk == first.deal.pk
    assert Deal.objects.count() == 1
    assert second.stage_changes == []
    assert len(deal_moves(contact)) == 1  # only the first call moved the contact


def test_a_changed_payload_updates_the_deal_with_that_external_id(contact):
    deal_upsert(data=payload(contact), source="hubspot", external_id="D-1", now=NOW)
    written = deal_upsert(
        data=payload(contact, amount="15000.50", name="Acme renewal v2"),
        source="hubspot",
        external_id="D-1",
        now=NOW,
    )
    assert written.outcome == UPDATED
    deal = Deal.objects.get()
    assert (deal.name, deal.amount) == ("Acme renewal v2", Decimal("15000.50"))


def test_the_same_external_id_from_another_source_is_another_deal(contact):
    deal_upsert(data=payload(contact), source="hubspot", external_id="D-1", now=NOW)
    deal_upsert(data=payload(contact), source="salesforce", external_id="D-1", now=NOW)
    assert Deal.objects.count() == 2


def test_without_an_external_id_every_call_creates_a_deal(contact):
    deal_upsert(data=payload(contact), now=NOW)
    deal_upsert(data=payload(contact), now=NOW)
    assert Deal.objects.count() == 2


def test_a_new_deal_takes_the_contacts_company_and_the_organisation_currency(contact):
    deal = deal_upsert(data=payload(contact), now=NOW).deal
    assert deal.company_id == contact.company_id
    assert deal.currency == "USD"
    assert (deal.stage, deal.created_at, deal.closed_at) == (DealStage.OPEN, NOW, None)


def test_a_company_given_wins_over_the_contacts_and_null_means_none(contact):
    other = CompanyFactory()
    assert deal_upsert(data=payload(contact, company=other), now=NOW).deal.company == other
    assert deal_upsert(data=payload(contact, company=None), now=NOW).deal.company is None


# --- stage moves --------------------------------------------------------------------------------


def test_a_new_deal_moves_its_lead_to_opportunity_through_the_stage_writer(contact):
    deal_upsert(data=payload(contact), now=NOW)
    assert stage_of(contact) == LifecycleStage.OPPORTUNITY
    [(from_stage, to_stage, reason, actor)] = deal_moves(contact)
    assert (from_stage, to_stage, actor) == ("lead", "opportunity", "deals")
    assert reason == "Deal 'Acme renewal' created (12,000 USD)"
    change = StageChange.objects.get(contact=contact, to_stage="opportunity")
    assert change.override is True  # lead → opportunity skips stages: the deal is the evidence
    assert change.changed_at == NOW


def test_a_won_deal_moves_its_contact_to_customer_naming_the_deal_and_amount():
    contact = ContactFactory(lifecycle_stage=LifecycleStage.SQL)
    written = deal_upsert(data=payload(contact), source="crm", external_id="7", now=NOW)
    deal_upsert(
        data=payload(contact, stage="won"), source="crm", external_id="7", now=NOW + timedelta(1)
    )
    assert stage_of(contact) == LifecycleStage.CUSTOMER
    assert [(f, t) for f, t, _r, _a in deal_moves(contact)] == [
        ("sql", "opportunity"),
        ("opportunity", "customer"),
    ]
    assert deal_moves(contact)[-1][2] == "Deal 'Acme renewal' won (12,000 USD)"
    deal = Deal.objects.get(pk=written.deal.pk)
    assert deal.closed_at == NOW + timedelta(1)  # no close date given: when recorded as won


def test_a_deal_created_won_passes_through_opportunity_to_customer(contact):
    deal_upsert(data=payload(contact, stage="won", amount="12000.50"), now=NOW)
    assert [t for _f, t, _r, _a in deal_moves(contact)] == ["opportunity", "customer"]
    assert deal_moves(contact)[-1][2] == "Deal 'Acme renewal' won (12,000.50 USD)"


def test_a_lost_deal_changes_no_stage(contact):
    deal_upsert(data=payload(contact, stage="lost", lost_reason="Budget"), now=NOW)
    assert stage_of(contact) == LifecycleStage.LEAD
    assert deal_moves(contact) == []


def test_losing_an_open_deal_leaves_the_contact_where_it_is(contact):
    deal = deal_upsert(data=payload(contact), now=NOW).deal
    deal_update(deal=deal, data={"stage": "lost", "lost_reason": "No budget"}, now=NOW)
    assert stage_of(contact) == LifecycleStage.OPPORTUNITY
    assert len(deal_moves(contact)) == 1


def test_a_customer_is_never_pulled_back_by_a_new_deal():
    customer = ContactFactory(lifecycle_stage=LifecycleStage.CUSTOMER)
    written = deal_upsert(data=payload(customer), now=NOW)
    assert written.stage_changes == []
    assert stage_of(customer) == LifecycleStage.CUSTOMER


def test_an_opportunity_with_a_second_open_deal_does_not_move():
    contact = ContactFactory(lifecycle_stage=LifecycleStage.OPPORTUNITY)
    assert deal_upsert(data=payload(contact), now=NOW).stage_changes == []


def test_reopening_a_won_deal_does_not_move_the_customer_back(contact):
    deal = deal_upsert(data=payload(contact, stage="won"), now=NOW).deal
    written = deal_update(deal=deal, data={"stage": "open"}, now=NOW)
    assert written.outcome == UPDATED and written.stage_changes == []
    assert stage_of(contact) == LifecycleStage.CUSTOMER
    deal.refresh_from_db()
    assert deal.closed_at is None


def test_a_nurtured_contact_with_a_deal_becomes_an_opportunity():
    contact = ContactFactory(lifecycle_stage=LifecycleStage.NURTURE)
    deal_upsert(data=payload(contact), now=NOW)
    assert stage_of(contact) == LifecycleStage.OPPORTUNITY


def test_giving_a_deal_to_another_contact_moves_that_contact(contact):
    deal = deal_upsert(data=payload(contact), now=NOW).deal
    other = ContactFactory()
    deal_update(deal=deal, data={"contact": other}, now=NOW)
    assert stage_of(other) == LifecycleStage.OPPORTUNITY


def test_a_won_deal_sent_again_keeps_its_close_date_and_moves_nothing(contact):
    closed = NOW - timedelta(days=3)
    args = {"source": "crm", "external_id": "W"}
    deal_upsert(data=payload(contact, stage="won", created_at=NOW - timedelta(9)), now=NOW, **args)
    again = deal_upsert(
        data=payload(contact, stage="won", created_at=NOW - timedelta(9)),
        now=NOW + timedelta(days=1),
        **args,
    )
    assert again.outcome == UNCHANGED
    assert Deal.objects.get().closed_at == NOW
    deal_upsert(data=payload(contact, stage="won", closed_at=closed), now=NOW, **args)
    assert Deal.objects.get().closed_at == closed


# --- validation: nothing written, the field named -----------------------------------------------


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"stage": "negotiation"}, "stage"),
        ({"name": "  "}, "name"),
        ({"closed_at": "2026-03-01"}, "closed_at"),  # an open deal has no close date
        ({"stage": "won", "closed_at": "2026-01-01", "created_at": "2026-02-01"}, "closed_at"),
        ({"created_at": "2027-01-01"}, "created_at"),  # in the future
        ({"created_at": "0001-01-01T00:00:00+05:00"}, "created_at"),
        ({"created_at": "yesterday"}, "created_at"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field_and_writes_nothing(contact, extra, field):
    with pytest.raises(DomainError) as refused:
        deal_upsert(data=payload(contact, **extra), now=NOW)
    assert refused.value.field == field
    assert not Deal.objects.exists()
    assert deal_moves(contact) == []


def test_a_deal_needs_a_contact():
    with pytest.raises(DomainError) as refused:
        deal_upsert(data={"name": "x", "amount": 1}, now=NOW)
    assert refused.value.field == "contact"


def test_the_currency_may_be_given_in_lower_case(contact, settings):
    assert deal_upsert(data=payload(contact, currency="usd"), now=NOW).deal.currency == "USD"


def test_the_organisation_currency_is_a_setting(contact, settings):
    settings.LEADBRIDGE_CURRENCY = "EUR"
    deal = deal_upsert(data=payload(contact, currency="EUR"), now=NOW).deal
    assert deal.currency == "EUR"
    assert deal_moves(contact)[0][2] == "Deal 'Acme renewal' created (12,000 EUR)"
    with pytest.raises(DomainError):
        deal_upsert(data=payload(contact, currency="USD"), now=NOW)


def test_a_failure_after_the_deal_was_written_leaves_no_deal_behind(contact):
    """All in one transaction: when what follows the stage move fails (a stage_changed receiver
    here), neither the deal nor the move stays."""
    from leads import hooks

    def fail(**kwargs):
        raise DomainError("refused", field="to_stage")

    hooks.stage_changed.register(fail)
    try:
        with pytest.raises(DomainError):
            deal_upsert(data=payload(contact), source="crm", external_id="X", now=NOW)
    finally:
        hooks.stage_changed._receivers.remove(fail)
    assert not Deal.objects.exists()
    assert stage_of(contact) == LifecycleStage.LEAD


def test_lost_reason_is_kept_only_on_lost_deals(contact):
    deal = deal_upsert(data=payload(contact, stage="lost", lost_reason="Price"), now=NOW).deal
    assert deal.lost_reason == "Price"
    deal = deal_update(deal=deal, data={"stage": "open"}, now=NOW).deal
    assert deal.lost_reason == ""


def test_amounts_are_never_negative_in_the_database_either(contact):
    deal = deal_upsert(data=payload(contact), now=NOW).deal
    with pytest.raises(IntegrityError), transaction.atomic():
        Deal.objects.filter(pk=deal.pk).update(amount=-1)

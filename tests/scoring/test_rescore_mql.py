"""Contacts that become MQL-eligible move to mql through the lifecycle policy, set-based."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Contact, LifecycleStage, StageChange
from leads.services import stage_change, stage_change_bulk
from scoring.rescore import contacts_rescore
from tests.factories import ActivityEventFactory, ContactFactory, published_model

pytestmark = pytest.mark.django_db
S = LifecycleStage


@pytest.fixture
def model(marketer):
    return published_model(by=marketer)


def qualifying_contact(stage=S.LEAD, visits=2):
    contact = ContactFactory(job_title="CMO", lifecycle_stage=stage)
    for days in range(1, visits + 1):
        ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=days))
    return contact


def stage_of(contact) -> str:
    return Contact.objects.get(pk=contact.pk).lifecycle_stage


def test_a_lead_that_qualifies_becomes_mql_by_scoring_with_the_rules_that_fired(model):
    contact = qualifying_contact()

    result = contacts_rescore(contact_ids=[contact.pk])

    assert result.mqls == [contact.pk]
    change = StageChange.objects.filter(contact=contact).latest("id")
    assert (change.from_stage, change.to_stage) == (S.LEAD, S.MQL)
    assert (change.actor_system, change.actor_user, change.override) == ("scoring", None, False)
    assert "Default v1" in change.reason
    # The rules in the words of the model page (scoring.describe), with the points they gave.
    assert "Job title contains 'cmo' (+25)" in change.reason
    assert "Page view in the last 30 days (+10)" in change.reason


def test_a_contact_below_the_thresholds_stays_a_lead(model):
    contact = qualifying_contact(visits=1)  # engagement 5 < 10

    assert contacts_rescore(contact_ids=[contact.pk]).mqls == []
    assert stage_of(contact) == S.LEAD


def test_a_nurture_contact_that_qualifies_again_becomes_mql_again(model):
    contact = qualifying_contact(stage=S.NURTURE)

    contacts_rescore(contact_ids=[contact.pk])

    assert stage_of(contact) == S.MQL


def test_a_subscriber_that_qualifies_skips_to_mql_as_a_recorded_override(model):
    contact = qualifying_contact(stage=S.SUBSCRIBER)

    contacts_rescore(contact_ids=[contact.pk])

    change = StageChange.objects.filter(contact=contact).latest("id")
    assert (change.from_stage, change.to_stage, change.override) == (S.SUBSCRIBER, S.MQL, True)


@pytest.mark.parametrize("stage", [S.MQL, S.SQL, S.OPPORTUNITY, S.CUSTOMER, S.DISQUALIFIED])
def test_contacts_past_lead_or_disqualified_are_not_moved(model, stage):
    contact = qualifying_contact(stage=stage)
    changes = StageChange.objects.filter(contact=contact).count()

    result = contacts_rescore(contact_ids=[contact.pk])

    assert result.mqls == [] and result.changed == 1  # scored, not moved
    assert stage_of(contact) == stage
    assert StageChange.objects.filter(contact=contact).count() == changes


def test_a_contact_a_person_put_in_nurture_is_not_pulled_back_while_it_stays_eligible(
    model, marketer
):
    contact = qualifying_contact()
    contacts_rescore(contact_ids=[contact.pk])
    stage_change(contact=contact, to_stage=S.NURTURE, reason="Not now", by=marketer)
    ActivityEventFactory(contact=contact, occurred_at=timezone.now())  # still eligible

    assert contacts_rescore(contact_ids=[contact.pk]).mqls == []
    assert stage_of(contact) == S.NURTURE


def test_many_contacts_qualifying_at_once_take_a_fixed_number_of_queries(
    model, django_assert_max_num_queries
):
    few = [qualifying_contact() for _ in range(2)]
    many = [qualifying_contact() for _ in range(12)]
    contacts_rescore(contact_ids=[])  # loads the published version once (then cached)
    with django_assert_max_num_queries(40) as few_queries:
        contacts_rescore(contact_ids=[c.pk for c in few])
    with django_assert_max_num_queries(40) as many_queries:
        result = contacts_rescore(contact_ids=[c.pk for c in many])

    assert len(result.mqls) == 12
    assert len(many_queries.captured_queries) == len(few_queries.captured_queries)
    assert Contact.objects.filter(lifecycle_stage=S.MQL).count() == 14


def test_bulk_stage_change_moves_only_contacts_in_the_given_from_stages():
    lead, sql, nurture = (ContactFactory(lifecycle_stage=s) for s in (S.LEAD, S.SQL, S.NURTURE))
    now = timezone.now()

    changes = stage_change_bulk(
        contact_ids=[lead.pk, sql.pk, nurture.pk],
        to_stage=S.MQL,
        system="scoring",
        reasons={lead.pk: "Qualified"},
        from_stages=[S.LEAD],
        now=now,
    )

    assert [(c.contact_id, c.from_stage, c.reason) for c in changes] == [
        (lead.pk, S.LEAD, "Qualified")
    ]
    assert (stage_of(lead), stage_of(sql), stage_of(nurture)) == (S.MQL, S.SQL, S.NURTURE)
    assert Contact.objects.get(pk=lead.pk).stage_entered_at == now


def test_bulk_stage_change_follows_the_policy_no_moves_back_and_skips_need_override():
    sql, subscriber = (
        ContactFactory(lifecycle_stage=S.SQL),
        ContactFactory(lifecycle_stage=S.SUBSCRIBER),
    )
    ids = [sql.pk, subscriber.pk]

    moved = stage_change_bulk(
        contact_ids=ids,
        to_stage=S.MQL,
        system="scoring",
        reasons={},
        from_stages=[S.SQL, S.SUBSCRIBER],
    )

    assert moved == []  # sql → mql is a move back; subscriber → mql a skip without override
    moved = stage_change_bulk(
        contact_ids=ids,
        to_stage=S.MQL,
        system="scoring",
        reasons={},
        from_stages=[S.SQL, S.SUBSCRIBER],
        override=True,
    )
    assert [(c.contact_id, c.override) for c in moved] == [(subscriber.pk, True)]
    assert stage_of(sql) == S.SQL

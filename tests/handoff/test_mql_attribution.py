"""An MQL keeps its attribution as it was when it opened: the contact's source and campaign, and
the campaign of the contact's latest campaign-tagged event before then."""

from datetime import UTC, datetime, timedelta

import pytest

from handoff.models import Mql
from handoff.services import mqls_open
from leads.models import EventType
from tests.factories import ActivityEventFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _event(contact, days_ago, **properties):
    return ActivityEventFactory(
        contact=contact,
        event_type=EventType.EMAIL_OPEN,
        properties=properties,
        occurred_at=NOW - timedelta(days=days_ago),
    )


def test_the_mql_keeps_the_contacts_source_campaign_and_last_touching_campaign():
    contact = ContactFactory(source="webinar", campaign="spring-launch")
    _event(contact, 9, campaign="old-nurture")
    _event(contact, 2, campaign="pricing-push")
    _event(contact, 1, url="/pricing")  # names no campaign
    _event(contact, 1, campaign="")  # names an empty one
    _event(contact, -1, campaign="after-the-fact")  # after it opened

    [mql_id] = mqls_open(contact_ids=[contact.pk], now=NOW)

    contact.campaign = "changed-later"
    contact.save()
    mql = Mql.objects.get(pk=mql_id)
    assert (mql.source, mql.campaign, mql.touch_campaign) == (
        "webinar",
        "spring-launch",
        "pricing-push",
    )


def test_a_contact_no_campaign_touched_has_an_empty_touch_campaign():
    contact = ContactFactory(source="", campaign="")
    _event(contact, 3, url="/docs")
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=NOW)
    mql = Mql.objects.get(pk=mql_id)
    assert (mql.source, mql.campaign, mql.touch_campaign) == ("", "", "")

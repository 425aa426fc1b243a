import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from leads.models import ActivityEvent, Contact, LifecycleStage, StageChange
from leads.serializers import EventSerializer
from tests.factories import ActivityEventFactory, ContactFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def iso(dt) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def event(**overrides) -> dict:
    data = {
        "event_type": "page_view",
        "occurred_at": iso(timezone.now() - timedelta(hours=1)),
        "properties": {"url": "/pricing"},
        "source": "website",
    }
    return {**data, **overrides}


def post(client, payload):
    return client.post(URL, payload, format="json")


# --- storing ------------------------------------------------------------------------------


def test_one_event_for_a_contact_id_is_stored_and_returned(api_as, marketer, contact):
    resp = post(api_as(marketer), event(contact=contact.pk, external_id="pv-1"))
    assert resp.status_code == 201
    [outcome] = resp.json()
    assert outcome["status"] == "created"
    stored = ActivityEvent.objects.get()
    assert outcome["event"]["id"] == stored.pk
    assert (stored.contact, stored.event_type, stored.properties, stored.external_id) == (
        contact,
        "page_view",
        {"url": "/pricing"},
        "pv-1",
    )


def test_created_event_is_shown_exactly_as_the_events_list_shows_it(api_as, marketer, contact):
    resp = post(
        api_as(marketer), event(contact=contact.pk, occurred_at="2025-03-01T14:00:00+02:00")
    )
    shown = resp.json()[0]["event"]
    assert shown == json.loads(json.dumps(EventSerializer(ActivityEvent.objects.get()).data))
    assert shown["occurred_at"] == "2025-03-01T12:00:00Z"


def test_unknown_email_creates_a_lead_with_its_first_history_row(api_as, marketer):
    resp = post(
        api_as(marketer),
        [event(email="New.Person@Example.com"), event(email="new.person@example.com")],
    )
    assert resp.status_code == 201
    contact = Contact.objects.get()
    assert contact.email == "new.person@example.com"
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    [first] = StageChange.objects.filter(contact=contact)
    assert (first.from_stage, first.to_stage, first.actor_user) == (
        "",
        LifecycleStage.LEAD,
        marketer,
    )
    assert [o["event"]["contact"] for o in resp.json()] == [contact.pk, contact.pk]
    assert contact.events.count() == 2


def test_known_email_is_matched_case_insensitively(api_as, marketer):
    contact = ContactFactory(email="ada@example.com")
    resp = post(api_as(marketer), event(email=" ADA@example.com "))
    assert resp.status_code == 201
    assert resp.json()[0]["event"]["contact"] == contact.pk
    assert Contact.objects.count() == 1


# --- duplicates -----------------------------------------------------------------------------


def test_resent_event_is_a_duplicate_returning_the_stored_one(api_as, marketer, contact):
    stored = ActivityEventFactory(contact=contact, source="website", external_id="pv-1")
    resp = post(
        api_as(marketer), event(contact=contact.pk, external_id="pv-1", event_type="email_open")
    )
    assert resp.status_code == 201
    [outcome] = resp.json()
    assert outcome["status"] == "duplicate"
    assert outcome["event"]["id"] == stored.pk
    assert outcome["event"]["event_type"] == "page_view"
    assert ActivityEvent.objects.count() == 1


def test_duplicate_with_unknown_email_creates_no_contact(api_as, marketer, contact):
    ActivityEventFactory(contact=contact, source="website", external_id="pv-1")
    resp = post(api_as(marketer), event(email="nobody@example.com", external_id="pv-1"))
    assert resp.json()[0]["status"] == "duplicate"
    assert not Contact.objects.filter(email="nobody@example.com").exists()


def test_same_external_id_twice_in_a_batch_is_stored_once(api_as, marketer, contact):
    resp = post(
        api_as(marketer),
        [event(contact=contact.pk, external_id="x"), event(contact=contact.pk, external_id="x")],
    )
    first, second = resp.json()
    assert (first["status"], second["status"]) == ("created", "duplicate")
    assert second["event"]["id"] == first["event"]["id"]
    assert ActivityEvent.objects.count() == 1


def test_same_external_id_from_another_source_is_a_different_event(api_as, marketer, contact):
    resp = post(
        api_as(marketer),
        [
            event(contact=contact.pk, external_id="x", source="website"),
            event(contact=contact.pk, external_id="x", source="mailer"),
        ],
    )
    assert [o["status"] for o in resp.json()] == ["created", "created"]
    assert ActivityEvent.objects.count() == 2


def test_events_without_external_id_are_never_duplicates(api_as, marketer, contact):
    resp = post(api_as(marketer), [event(contact=contact.pk), event(contact=contact.pk)])
    assert [o["status"] for o in resp.json()] == ["created", "created"]
    ids = [o["event"]["id"] for o in resp.json()]
    assert ids[0] < ids[1]
    assert ActivityEvent.objects.count() == 2


# --- rejections -----------------------------------------------------------------------------


def test_valid_items_are_stored_when_others_are_rejected(api_as, marketer, contact):
    resp = post(
        api_as(marketer),
        [
            event(contact=contact.pk, external_id="a"),
            event(contact=contact.pk, event_type="telepathy", external_id="b"),
            event(email="fresh@example.com", external_id="c"),
        ],
    )
    assert resp.status_code == 207
    body = resp.json()
    assert [o["status"] for o in body] == ["created", "rejected", "created"]
    assert "event_type" in body[1]["errors"]
    assert "event" not in body[1]
    assert set(ActivityEvent.objects.values_list("external_id", flat=True)) == {"a", "c"}


def test_all_rejected_is_400_and_writes_nothing(api_as, marketer, contact):
    resp = post(
        api_as(marketer),
        [event(contact=contact.pk, occurred_at="yesterday"), event(email="not-an-email")],
    )
    assert resp.status_code == 400
    assert resp.json()[0]["errors"] == {
        "occurred_at": ["Expected an ISO 8601 date and time, e.g. 2025-03-01T12:00:00Z."]
    }
    assert "email" in resp.json()[1]["errors"]
    assert ActivityEvent.objects.count() == 0
    assert Contact.objects.count() == 1


def test_occurred_at_more_than_five_minutes_ahead_is_rejected(api_as, marketer, contact):
    now = timezone.now()
    resp = post(
        api_as(marketer),
        [
            event(contact=contact.pk, occurred_at=iso(now + timedelta(minutes=4))),
            event(contact=contact.pk, occurred_at=iso(now + timedelta(minutes=6))),
        ],
    )
    assert resp.status_code == 207
    assert resp.json()[1]["errors"] == {"occurred_at": ["Is more than 5 minutes in the future."]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"event_type": 5}, "event_type"),
        ({"event_type": None}, "event_type"),
        ({"occurred_at": 1700000000}, "occurred_at"),
        ({"occurred_at": "2025-03-01"}, "occurred_at"),
        ({"properties": "url=/pricing"}, "properties"),
        ({"properties": [1, 2]}, "properties"),
        ({"source": 3}, "source"),
        ({"source": "s" * 101}, "source"),
        ({"external_id": ["x"]}, "external_id"),
        ({"contact": "abc"}, "contact"),
        ({"contact": True}, "contact"),
        ({"contact": -4}, "contact"),
        ({"contact": 10**30}, "contact"),
        ({"contact": 999999}, "contact"),
        ({"contact": None, "email": 42}, "email"),
        ({"contact": None, "email": "x" * 250 + "@a.de"}, "email"),
        ({"email": "a@example.com"}, "contact"),  # both contact and email
    ],
)
def test_wrong_values_are_rejected_naming_the_field(api_as, marketer, contact, overrides, field):
    resp = post(api_as(marketer), event(**{"contact": contact.pk, **overrides}))
    assert resp.status_code == 400
    [outcome] = resp.json()
    assert outcome["status"] == "rejected"
    assert list(outcome["errors"]) == [field]
    assert ActivityEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("properties", {"asset": "\ud800"}), ("properties", {"\udc00": 1}), ("source", "w\ud83d")],
)
def test_unpaired_surrogate_is_rejected_not_a_server_error(api_as, marketer, contact, field, value):
    # json.dumps escapes the lone surrogate as \udXXX; PostgreSQL's jsonb and text refuse it.
    body = json.dumps(event(contact=contact.pk, **{field: value}))
    resp = api_as(marketer).post(URL, body, content_type="application/json")
    assert resp.status_code == 400
    assert list(resp.json()[0]["errors"]) == [field]
    assert ActivityEvent.objects.count() == 0


def test_characters_outside_the_basic_plane_are_stored(api_as, marketer, contact):
    body = json.dumps(event(contact=contact.pk, properties={"title": "Launch \U0001f680"}))
    resp = api_as(marketer).post(URL, body, content_type="application/json")
    assert resp.status_code == 201
    assert ActivityEvent.objects.get().properties == {"title": "Launch \U0001f680"}


def test_event_without_a_contact_is_rejected(api_as, marketer):
    resp = post(api_as(marketer), event())
    assert resp.json()[0]["errors"] == {
        "contact": ["Name the contact by contact (an id) or by email."]
    }


def test_item_that_is_not_an_object_is_rejected(api_as, marketer, contact):
    resp = post(api_as(marketer), [event(contact=contact.pk), "page_view", None])
    assert resp.status_code == 207
    assert [o["status"] for o in resp.json()] == ["created", "rejected", "rejected"]


def test_batch_over_1000_is_refused_whole(api_as, marketer, contact):
    resp = post(api_as(marketer), [event(contact=contact.pk) for _ in range(1001)])
    assert resp.status_code == 400
    assert list(resp.json()) == ["events"]
    assert ActivityEvent.objects.count() == 0


@pytest.mark.parametrize("payload", [[], "page_view", 7])
def test_body_that_is_no_event_nor_list_is_400(api_as, marketer, payload):
    resp = post(api_as(marketer), payload)
    assert resp.status_code == 400
    assert list(resp.json()) == ["events"]


def test_malformed_json_is_400(api_as, marketer):
    resp = api_as(marketer).post(
        URL, '[{"event_type": "page_view",', content_type="application/json"
    )
    assert resp.status_code == 400
    assert "JSON parse error" in resp.json()["detail"]


def test_form_encoded_body_is_refused(api_as, marketer):
    resp = api_as(marketer).post(URL, {"event_type": "page_view"})
    assert resp.status_code == 415


# --- access ---------------------------------------------------------------------------------


def test_a_batch_of_1000_costs_a_fixed_number_of_queries(
    api_as, marketer, contact, django_assert_max_num_queries
):
    items = [event(contact=contact.pk, external_id=f"e{i}") for i in range(500)]
    items += [event(email=f"p{i}@example.com", external_id=f"f{i}") for i in range(500)]
    client = api_as(marketer)
    # SQLite splits the contact and history INSERTs at 999 parameters; PostgreSQL does not.
    bound = 15 if connection.vendor == "postgresql" else 30
    with django_assert_max_num_queries(bound):
        resp = post(client, items)
    assert resp.status_code == 201
    assert ActivityEvent.objects.count() == 1000
    assert StageChange.objects.filter(reason__startswith="Created from").count() == 500
    with django_assert_max_num_queries(bound):
        again = post(client, items)
    assert {o["status"] for o in again.json()} == {"duplicate"}
    assert ActivityEvent.objects.count() == 1000


def test_rep_may_not_send_events(api_as, rep):
    contact = ContactFactory(owner=rep)
    resp = post(api_as(rep), event(contact=contact.pk))
    assert resp.status_code == 403
    assert ActivityEvent.objects.count() == 0


def test_sender_who_sees_only_own_contacts_cannot_reach_others(api_as, rep, other_rep):
    rep.user_permissions.add(Permission.objects.get(codename="add_activityevent"))
    mine = ContactFactory(owner=rep, email="mine@example.com")
    theirs = ContactFactory(owner=other_rep, email="theirs@example.com")
    resp = post(
        api_as(rep),
        [
            event(contact=mine.pk),
            event(contact=theirs.pk),
            event(email="theirs@example.com"),
            event(email="mine@example.com"),
        ],
    )
    assert resp.status_code == 207
    assert [o["status"] for o in resp.json()] == ["created", "rejected", "rejected", "created"]
    assert resp.json()[1]["errors"] == {"contact": ["No such contact."]}
    assert list(resp.json()[2]["errors"]) == ["email"]
    assert theirs.events.count() == 0


def test_anonymous_gets_401(api, contact):
    resp = post(api, event(contact=contact.pk))
    assert resp.status_code == 401
    assert ActivityEvent.objects.count() == 0


def test_token_authenticates_the_sender(api, marketer, contact):
    _, key = AuthToken.objects.create(marketer)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    resp = post(api, event(contact=contact.pk))
    assert resp.status_code == 201


def test_wrong_token_is_401(api, marketer, contact):
    AuthToken.objects.create(marketer)
    api.credentials(HTTP_AUTHORIZATION="Token lb_" + "0" * 60)
    assert post(api, event(contact=contact.pk)).status_code == 401


# --- a contact's events ---------------------------------------------------------------------


def test_contact_events_are_listed_newest_first_with_a_cursor(api_as, marketer, contact):
    now = timezone.now()
    for hours in range(5):
        ActivityEventFactory(contact=contact, occurred_at=now - timedelta(hours=hours))
    ActivityEventFactory(occurred_at=now)  # someone else's
    client = api_as(marketer)
    resp = client.get(f"/api/v1/contacts/{contact.pk}/events/?page_size=3")
    assert resp.status_code == 200
    page = resp.json()
    assert len(page["results"]) == 3
    times = [e["occurred_at"] for e in page["results"]]
    assert times == sorted(times, reverse=True)
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 2 and rest["next"] is None
    seen = {e["id"] for e in page["results"] + rest["results"]}
    assert seen == set(contact.events.values_list("pk", flat=True))


def test_rep_sees_events_of_own_contact_only(api_as, rep, other_rep):
    mine = ContactFactory(owner=rep)
    theirs = ContactFactory(owner=other_rep)
    ActivityEventFactory(contact=mine)
    ActivityEventFactory(contact=theirs)
    client = api_as(rep)
    assert client.get(f"/api/v1/contacts/{mine.pk}/events/").status_code == 200
    assert client.get(f"/api/v1/contacts/{theirs.pk}/events/").status_code == 404
    assert client.get("/api/v1/contacts/999999/events/").status_code == 404


# --- races ----------------------------------------------------------------------------------


def test_event_stored_meanwhile_by_another_request_is_a_duplicate(contact):
    from leads.imports.events_ingest import _insert_events
    from leads.imports.validation import event_validate

    now = timezone.now()
    item, errors = event_validate(0, event(contact=contact.pk, external_id="race"), now=now)
    assert not errors
    # Stored after this request's duplicate check, before its INSERT.
    stored = ActivityEventFactory(contact=contact, source="website", external_id="race")
    outcomes = [None]
    _insert_events([item], now=now, outcomes=outcomes)
    assert outcomes[0].status == "duplicate"
    assert outcomes[0].event["id"] == stored.pk
    assert ActivityEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("reverse_second", [False, True])
def test_two_requests_racing_with_the_same_batch_store_each_event_once(marketer, reverse_second):
    import threading

    from django.db import connections
    from rest_framework.test import APIClient

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrent transactions")
    contact = ContactFactory()
    items = [event(contact=contact.pk, external_id=f"r{i}") for i in range(300)]
    items += [event(email=f"racer{i}@example.com", external_id=f"n{i}") for i in range(300)]
    barrier = threading.Barrier(2)
    responses = []

    def send(batch):
        client = APIClient()
        client.force_authenticate(marketer)
        barrier.wait()
        try:
            responses.append(post(client, batch))
        finally:
            connections.close_all()

    second = items[::-1] if reverse_second else items  # the same keys in the opposite order
    threads = [threading.Thread(target=send, args=(batch,)) for batch in (items, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in responses] == [201, 201]
    statuses = [o["status"] for r in responses for o in r.json()]
    assert statuses.count("created") == 600 and statuses.count("duplicate") == 600
    assert ActivityEvent.objects.count() == 600
    assert Contact.objects.filter(email__startswith="racer").count() == 300
    assert StageChange.objects.filter(contact__email__startswith="racer").count() == 300

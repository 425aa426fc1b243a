"""Incremental rescoring: new events and changed contacts/companies are rescored on commit,
deduplicated so that a burst of events for one contact gives about one task."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from leads.imports.contacts_csv import contacts_import
from leads.imports.events_ingest import events_ingest
from leads.models import LifecycleStage
from leads.services import company_upsert, contact_update
from scoring import tasks
from scoring.models import ContactScore, RescorePending
from scoring.rescore import contacts_rescore_pending, contacts_rescore_queue
from tests.factories import CompanyFactory, ContactFactory, RescorePendingFactory, published_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(marketer):
    return published_model(by=marketer)


@pytest.fixture
def broker(monkeypatch):
    """Stands in for Redis: the incremental tasks sent, not run (the test runs them)."""
    sent = []
    monkeypatch.setattr(
        tasks.contacts_rescore_task,
        "apply_async",
        lambda args, countdown=None, **kw: sent.append((args[0], countdown)),
    )
    return sent


def event(contact, days_ago=0.0, n=0):
    return {
        "contact": contact.pk,
        "event_type": "page_view",
        "occurred_at": (timezone.now() - timedelta(days=days_ago)).isoformat(),
        "external_id": f"ev-{contact.pk}-{n}",
        "source": "test",
    }


def score(contact) -> ContactScore | None:
    return ContactScore.objects.filter(contact=contact).first()


def test_events_from_the_api_rescore_their_contact_on_commit(
    model, marketer, api_as, django_capture_on_commit_callbacks
):
    contact = ContactFactory(job_title="CMO")
    body = [event(contact, 1, 1), event(contact, 2, 2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(marketer).post("/api/v1/events/", body, format="json")

    assert response.status_code == 201
    assert (score(contact).engagement, score(contact).mql_eligible) == (10, True)
    assert contact.__class__.objects.get(pk=contact.pk).lifecycle_stage == LifecycleStage.MQL
    assert not RescorePending.objects.exists()


def test_nothing_is_queued_when_the_transaction_rolls_back(model, marketer, broker):
    contact = ContactFactory()
    with transaction.atomic():
        events_ingest(items=[event(contact)], by=marketer)
        transaction.set_rollback(True)
    assert broker == [] and not RescorePending.objects.exists()


def test_a_burst_of_1000_events_for_one_contact_sends_one_task(
    model, marketer, broker, django_capture_on_commit_callbacks
):
    contact = ContactFactory(job_title="CMO")
    for n in range(1000):  # 1,000 requests, each its own transaction
        with django_capture_on_commit_callbacks(execute=True):
            events_ingest(items=[event(contact, days_ago=n / 100, n=n)], by=marketer)

    assert broker == [([contact.pk], 2)]
    # The task runs (a couple of seconds later) and sees every event committed before it.
    tasks.contacts_rescore_task(*broker[0][:1])
    assert score(contact).engagement == 5000  # 5 points for each of the 1,000 visits
    assert not RescorePending.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(items=[event(contact, n=1000)], by=marketer)
    assert len(broker) == 2  # after the claim, the next event sends the next task


def test_the_incremental_task_run_twice_rescores_once(model, broker):
    contact = ContactFactory()
    contacts_rescore_queue(contact_ids=[contact.pk])
    RescorePendingFactory(contact_id=contact.pk)

    first = contacts_rescore_pending(contact_ids=[contact.pk])
    second = contacts_rescore_pending(contact_ids=[contact.pk])

    assert (first.scored, first.changed) == (1, 1)
    assert (second.scored, second.changed) == (0, 0)


def test_a_changed_contact_is_rescored(model, django_capture_on_commit_callbacks):
    contact = ContactFactory(job_title="Intern")
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(contact=contact, data={"job_title": "CMO"})
    assert score(contact).fit == 25


def test_a_changed_company_rescores_its_contacts(marketer, django_capture_on_commit_callbacks):
    published_model(
        by=marketer,
        fit=[{"field": "company.industry", "operator": "equals", "value": "fintech", "points": 30}],
        engagement=(),
    )
    company = CompanyFactory(domain="acme.example", industry="Retail")
    staff = [ContactFactory(company=company) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        company_upsert(domain="acme.example", data={"industry": "Fintech"})
    assert [score(c).fit for c in staff] == [30, 30, 30]


def test_a_contact_csv_import_rescores_the_contacts_it_created_or_changed(
    model, tmp_path, django_capture_on_commit_callbacks
):
    existing = ContactFactory(email="old@example.com", job_title="Intern")
    path = tmp_path / "c.csv"
    path.write_text("email,job_title\nold@example.com,CMO\nnew@example.com,CMO of things\n")

    with django_capture_on_commit_callbacks(execute=True):
        contacts_import(path=path, mapping={"email": "email", "job_title": "job_title"})

    assert score(existing).fit == 25
    assert ContactScore.objects.filter(contact__email="new@example.com", fit=25).exists()


def test_event_file_imports_are_left_to_the_scheduled_rescore(
    model, broker, django_capture_on_commit_callbacks
):
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        events_ingest(items=[event(contact)], by=None)  # what leads.imports.events_file does
    assert broker == [] and score(contact) is None

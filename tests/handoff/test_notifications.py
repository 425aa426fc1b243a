"""Notifications: one service writes them and sends their emails (the handoff's events and the
SLA scan's summaries alike), one service marks them read (the page and the API alike)."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail

from core import roles
from handoff.models import Notification
from handoff.services import Notice, notifications_mark_read, notifications_send, notify_many
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def ada(db):
    return user_with_role(roles.SALES_REP, username="ada", email="ada@example.com")


@pytest.fixture
def bob(db):
    return user_with_role(roles.SALES_REP, username="bob", email="bob@example.com")


def test_a_person_gets_one_email_listing_their_notifications_after_commit(
    ada, bob, django_capture_on_commit_callbacks
):
    items = [(ada, f"MQL {i} closed", None) for i in range(22)] + [(bob, "MQL 0 closed", None)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_many(items, now=NOW, subject="MQLs closed outside the queue")
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert Notification.objects.filter(user=ada, created_at=NOW).count() == 22
    by_person = {email.to[0]: email for email in mail.outbox}
    assert len(mail.outbox) == len(by_person) == 2
    many = by_person["ada@example.com"]
    assert many.subject == "[LeadBridge] 22 MQLs closed outside the queue"
    assert many.body.count(" closed") == 20
    assert many.body.endswith("… and 2 more in LeadBridge.")
    assert by_person["bob@example.com"].subject == "[LeadBridge] MQL 0 closed"


def test_the_same_notification_twice_in_one_call_is_written_once(ada):
    notify_many(
        [(ada, "Hello", None), (ada, "Hello", None), (None, "Nobody", None)],
        now=NOW,
        subject="greetings",
    )
    assert list(Notification.objects.values_list("user", "message")) == [(ada.pk, "Hello")]


def test_a_summary_notice_lists_its_first_lines_and_links_the_rest(
    ada, django_capture_on_commit_callbacks
):
    summary = Notice(
        user_id=ada.pk,
        email=ada.email,
        message="30 things: 30 small",
        url="/things/?at=now",
        lines=tuple((f"Thing {i}", f"/things/{i}/") for i in range(20)),
        total=30,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notifications_send(notices=[summary], subject="things", now=NOW)

    assert (row.user_id, row.message, row.url, row.mql_id) == (
        ada.pk,
        "30 things: 30 small",
        "/things/?at=now",
        None,
    )
    [email] = mail.outbox
    assert email.subject == "[LeadBridge] 30 things"
    assert email.body.count("Thing ") == 20 and "/things/19/" in email.body
    assert email.body.endswith("… and 10 more: /things/?at=now")


def test_marking_read_marks_only_your_own_unread_notifications(ada, bob):
    notify_many(
        [(ada, "One", None), (ada, "Two", None), (bob, "Three", None)], now=NOW, subject="news"
    )
    one, two = Notification.objects.filter(user=ada).order_by("message")
    theirs = Notification.objects.get(user=bob)
    later = NOW + timedelta(hours=1)

    assert notifications_mark_read(user=ada, ids=[one.pk, theirs.pk], now=later) == 1
    assert notifications_mark_read(user=ada, ids=[one.pk], now=later) == 0  # read already
    assert notifications_mark_read(user=ada, now=later) == 1
    assert set(Notification.objects.filter(user=ada).values_list("read_at", flat=True)) == {later}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_api_marks_only_the_given_ids_of_your_own(api_as, ada, bob):
    notify_many(
        [(ada, "One", None), (ada, "Two", None), (bob, "Three", None)], now=NOW, subject="news"
    )
    one = Notification.objects.get(user=ada, message="One")
    theirs = Notification.objects.get(user=bob)

    response = api_as(ada).post(
        "/api/v1/notifications/read/", {"ids": [one.pk, theirs.pk]}, format="json"
    )

    assert response.json() == {"marked": 1}
    assert list(
        Notification.objects.filter(read_at__isnull=True)
        .order_by("message")
        .values_list("message", flat=True)
    ) == ["Three", "Two"]


def test_the_page_marks_all_your_notifications_read(client, ada, bob):
    notify_many(
        [(ada, "One", None), (ada, "Two", None), (bob, "Three", None)], now=NOW, subject="news"
    )
    client.force_login(ada)

    response = client.post("/notifications/read/", follow=True)

    assert "Marked 2 notifications read." in response.content.decode()
    assert list(
        Notification.objects.filter(read_at__isnull=True).values_list("message", flat=True)
    ) == ["Three"]


def test_only_the_notifications_service_writes_notifications_and_sends_email():
    root = Path(__file__).resolve().parents[2]
    writes = re.compile(
        r"send_mail\(|send_mass_mail|EmailMessage|(?<!class )Notification\(|"
        r"Notification\.objects\.(bulk_)?create|read_at="
    )
    writers = {
        str(path.relative_to(root))
        for app in ("config", "core", "leads", "scoring", "handoff", "feedback")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts and writes.search(path.read_text())
    }
    assert writers == {"handoff/services/notifications.py"}

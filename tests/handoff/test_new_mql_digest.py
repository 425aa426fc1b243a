"""A rep hears of a new MQL at once, and of the ones assigned in the next few minutes in one
digest (LEADBRIDGE_NEW_MQL_DIGEST_MINUTES), not one notification and email each."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.test import override_settings

from handoff.models import Assignment, Mql, Notification
from handoff.services import mqls_assign, mqls_open, new_mqls_notify
from handoff.tasks import sla_scan
from leads.models import LifecycleStage
from tests.factories import ContactFactory

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def assign(count: int, at: datetime) -> list[Mql]:
    contacts = [ContactFactory(lifecycle_stage=LifecycleStage.MQL) for _ in range(count)]
    ids = mqls_open(contact_ids=[c.pk for c in contacts], now=at)
    mqls_assign(mql_ids=ids, now=at)
    return list(Mql.objects.filter(pk__in=ids))


def new_mql_notices(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, message__contains="new MQL")
        .union(Notification.objects.filter(user=user, message__startswith="New MQL"))
        .values_list("message", flat=True)
    )


def test_a_batch_is_told_at_once_the_next_ones_in_one_digest(
    team, reps, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assign(6, START)  # three each, by weight
    # Each rep heard of their batch at once, in one notification and one email.
    for rep in reps:
        assert new_mql_notices(rep) == ["3 new MQLs for you"]
    assert sorted(m.subject for m in mail.outbox) == ["[LeadBridge] 3 new MQLs"] * 2

    with django_capture_on_commit_callbacks(execute=True):
        assign(2, START + timedelta(minutes=1))  # one each: they heard a minute ago, so wait
    assert [len(new_mql_notices(rep)) for rep in reps] == [1, 1]
    assert new_mqls_notify(now=START + timedelta(minutes=4)) == 0  # within the 5 minutes
    with django_capture_on_commit_callbacks(execute=True):
        assert new_mqls_notify(now=START + timedelta(minutes=5, seconds=1)) == 2

    for rep in reps:
        assert any(m.startswith("New MQL for you: ") for m in new_mql_notices(rep))
        assert Notification.objects.filter(user=rep).count() == 2
    assert mail.outbox[-1].body.count("New MQL for you: ") == 1
    assert not Assignment.objects.filter(notified_at__isnull=True).exists()
    assert new_mqls_notify(now=START + timedelta(minutes=20)) == 0  # each told once


def test_the_sla_scan_sends_the_digests_that_are_due(team, reps):
    assign(2, START)
    assign(4, START + timedelta(minutes=2))
    assert Assignment.objects.filter(notified_at__isnull=True).count() == 4
    with time_machine.travel(START + timedelta(minutes=4), tick=False):
        assert sla_scan()["new_mqls_told"] == 0  # 4 minutes after they heard
    with time_machine.travel(START + timedelta(minutes=6), tick=False):
        assert sla_scan()["new_mqls_told"] == 4


@override_settings(LEADBRIDGE_NEW_MQL_DIGEST_MINUTES=0)
def test_with_no_digest_window_each_batch_is_told_at_once(team, reps):
    assign(2, START)
    assign(2, START + timedelta(minutes=1))
    for rep in reps:
        assert len(new_mql_notices(rep)) == 2
    assert not Assignment.objects.filter(notified_at__isnull=True).exists()

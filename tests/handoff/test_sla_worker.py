"""The SLA scan through a real Celery worker on Redis: sent twice, each breach is recorded once."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from handoff.models import Breach, SlaClock
from handoff.services import mqls_assign, mqls_open
from handoff.tasks import sla_scan
from leads.models import LifecycleStage
from tests.factories import ContactFactory
from tests.worker import WAIT_SECONDS

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_real_worker_records_each_breach_once_however_often_the_scan_runs(
    worker,
    real_broker,
    team,
    reps,
):
    for _ in range(5):
        contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
        ids = mqls_open(contact_ids=[contact.pk])
        mqls_assign(mql_ids=ids)
    # Every running clock is already overdue.
    SlaClock.objects.filter(stopped_at__isnull=True).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    overdue = SlaClock.objects.filter(stopped_at__isnull=True).count()
    assert overdue == 10  # first touch and decision of five MQLs

    for _ in range(2):
        sla_scan.apply_async(queue=worker.queue, connection=real_broker)

    deadline = time.monotonic() + WAIT_SECONDS
    log = ""
    while time.monotonic() < deadline and worker.poll() is None:
        log = worker.log_path.read_text()
        if log.count("handoff.tasks.sla_scan") >= 2 and log.count("succeeded") >= 2:
            break
        time.sleep(0.2)
    assert log.count("succeeded") >= 2, log
    assert Breach.objects.count() == overdue
    assert not SlaClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True).exists()

"""The periodic tasks are declared in core.schedules and written into Celery beat's rows on
migrate; admins' changes to those rows survive the next migrate."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery import app as celery_app
from core.schedules import PERIODIC_TASKS, periodic_tasks_sync

pytestmark = pytest.mark.django_db

SLA_SCAN, RESCORE, RESCORE_REPAIR, IMPORTS_STALLED = PERIODIC_TASKS


def migrate():
    call_command("migrate", verbosity=0, interactive=False)


def test_every_declared_periodic_task_is_scheduled_after_migrate():
    for schedule in PERIODIC_TASKS:
        row = PeriodicTask.objects.get(name=schedule.name)
        assert (row.task, row.enabled, row.interval.every, row.interval.period) == (
            schedule.task,
            True,
            schedule.every,
            schedule.period,
        )
    assert (SLA_SCAN.task, SLA_SCAN.every, SLA_SCAN.period) == (
        "handoff.tasks.sla_scan",
        1,
        "minutes",
    )
    assert (RESCORE.task, RESCORE.every, RESCORE.period) == (
        "scoring.rescore_scheduled",
        1,
        "hours",
    )
    # The stall scans run every minute: a worker that died is noticed within minutes.
    assert [(s.task, s.every, s.period) for s in (RESCORE_REPAIR, IMPORTS_STALLED)] == [
        ("scoring.rescore_repair", 1, "minutes"),
        ("leads.imports_stalled_fail", 1, "minutes"),
    ]


def test_every_declared_task_is_a_celery_task():
    celery_app.loader.import_default_modules()
    assert {schedule.task for schedule in PERIODIC_TASKS} <= set(celery_app.tasks)


def test_an_admins_interval_and_enabled_flag_survive_the_next_migrate():
    every_5_minutes = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.filter(name=SLA_SCAN.name).update(
        interval=every_5_minutes, enabled=False, description="Slower, please"
    )

    migrate()

    row = PeriodicTask.objects.get(name=SLA_SCAN.name)
    assert (row.interval, row.enabled, row.description) == (
        every_5_minutes,
        False,
        "Slower, please",
    )


def test_a_task_renamed_in_code_is_updated_on_its_row():
    PeriodicTask.objects.filter(name=RESCORE.name).update(task="scoring.tasks.old_name")

    assert periodic_tasks_sync() == []

    assert PeriodicTask.objects.get(name=RESCORE.name).task == RESCORE.task


def test_a_schedule_renamed_by_an_admin_is_not_scheduled_twice():
    PeriodicTask.objects.filter(name=RESCORE.name).update(name="Hourly rescore")

    assert periodic_tasks_sync() == []

    assert list(PeriodicTask.objects.filter(task=RESCORE.task).values_list("name", flat=True)) == [
        "Hourly rescore"
    ]


def test_a_schedule_deleted_by_hand_comes_back_with_the_next_migrate():
    PeriodicTask.objects.filter(name=SLA_SCAN.name).delete()

    migrate()

    row = PeriodicTask.objects.get(name=SLA_SCAN.name)
    assert (row.task, row.enabled, row.interval.every, row.interval.period) == (
        SLA_SCAN.task,
        True,
        1,
        "minutes",
    )


def test_syncing_twice_changes_nothing():
    before = list(PeriodicTask.objects.order_by("pk").values())
    assert periodic_tasks_sync() == []
    assert list(PeriodicTask.objects.order_by("pk").values()) == before

"""History: the SLA scan's first schedule. The schedule is declared in core.schedules now and
synced on every migrate; this migration's row is the one the sync finds (same name)."""

from django.db import migrations

TASK = "handoff.tasks.sla_scan"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="SLA scan: record breaches, retry unassigned MQLs",
        defaults={"task": TASK, "interval": every_minute},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0002_default_sla_policy"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

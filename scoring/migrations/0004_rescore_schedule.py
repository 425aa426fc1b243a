"""The scheduled rescore: a django-celery-beat PeriodicTask, hourly; admins change it in the admin.

History: the schedule is declared in core.schedules now and synced on every migrate; this
migration's row is the one the sync finds (same name)."""

from django.db import migrations

TASK = "scoring.rescore_scheduled"
NAME = "Scheduled rescore (changed contacts; full after a publish)"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    if not PeriodicTask.objects.filter(task=TASK).exists():
        PeriodicTask.objects.create(
            name=NAME,
            task=TASK,
            interval=hourly,
            description="Rescores the contacts whose score can have changed since the last run "
            "(new events, events leaving a window, changed contacts and companies, decay); "
            "starts a full rescore instead when a model's published version has not had one.",
        )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0003_rescore_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

"""Every periodic task of LeadBridge, declared here in code, and their sync into Celery beat.

Beat runs with django-celery-beat's DatabaseScheduler, so the schedules live in its
`PeriodicTask` rows, where admins can change them in the Django admin. `PERIODIC_TASKS` is the
one list of them; `periodic_tasks_sync` writes it into those rows after every `migrate` (a
`post_migrate` receiver wired in `CoreConfig.ready()`), so a new database, a test database or a
deploy gets them without a data migration.

The sync is idempotent and leaves an admin's choices alone:

- A declared schedule without a row (matched by name, else by task) is created, enabled, with
  the declared interval and description. That includes one an admin deleted: to stop a periodic
  task, untick "enabled" in the admin instead (the scans behind them are how breaches and
  rescores happen, so a lost row must not go unnoticed).
- An existing row keeps its interval, enabled flag, description and other settings, whatever
  the declaration says now: those are the admin's to edit. Only its task is set to the declared
  one (a task renamed in code), when the row is matched by name.
- Rows that are not declared here are left alone.

To change a default for existing databases, write a data migration; to add a periodic task,
add it here. The tasks are named by string, so core imports nothing from the apps above it.
"""

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Schedule:
    """A periodic task: its name in the admin, the Celery task it runs and how often."""

    name: str
    task: str
    every: int
    period: str  # IntervalSchedule.MINUTES, HOURS or DAYS
    description: str = ""


PERIODIC_TASKS: tuple[Schedule, ...] = (
    Schedule(
        name="SLA scan: record breaches, retry unassigned MQLs",
        task="handoff.tasks.sla_scan",
        every=1,
        period=IntervalSchedule.MINUTES,
        description="Records every SLA clock that ran out as a breach, once, and tells the rep "
        "and the team's managers; retries the MQLs that nobody could take.",
    ),
    Schedule(
        name="Scheduled rescore (changed contacts; full after a publish)",
        task="scoring.rescore_scheduled",
        every=1,
        period=IntervalSchedule.HOURS,
        description="Rescores the contacts whose score can have changed since the last run "
        "(new events, events leaving a window, changed contacts and companies, decay); "
        "starts a full rescore instead when a model's published version has not had one.",
    ),
    Schedule(
        name="Rescore repair: re-send chunks whose worker died",
        task="scoring.rescore_repair",
        every=1,
        period=IntervalSchedule.MINUTES,
        description="Sends again the chunks of a full rescore that were started (or sent) "
        "longer ago than STALLED_WORK_AFTER_SECONDS and are not done: their worker died.",
    ),
    Schedule(
        name="Stalled imports: fail contact imports whose worker died",
        task="leads.imports_stalled_fail",
        every=1,
        period=IntervalSchedule.MINUTES,
        description="Marks failed the contact imports running with no progress for "
        "STALLED_WORK_AFTER_SECONDS, saying which rows were imported.",
    ),
)


def periodic_tasks_sync(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the declared periodic tasks that have no row, and set the task of those matched
    by name (never their interval or enabled flag: see the module docstring). Returns the names
    of the rows created."""
    tasks = PeriodicTask.objects.using(using)
    created = []
    with transaction.atomic(using=using):
        for schedule in PERIODIC_TASKS:
            row = (
                tasks.filter(name=schedule.name).first()
                or tasks.filter(task=schedule.task).order_by("pk").first()
            )
            if row is None:
                PeriodicTask(
                    name=schedule.name,
                    task=schedule.task,
                    interval=_interval(schedule, using=using),
                    description=schedule.description,
                ).save(using=using)
                created.append(schedule.name)
            elif row.task != schedule.task:
                row.task = schedule.task
                row.save(using=using, update_fields=["task"])
    return created


def _interval(schedule: Schedule, *, using: str) -> IntervalSchedule:
    intervals = IntervalSchedule.objects.using(using)
    every = {"every": schedule.every, "period": schedule.period}
    return intervals.filter(**every).order_by("pk").first() or intervals.create(**every)


def periodic_tasks_sync_after_migrate(
    *, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs
) -> None:
    """post_migrate receiver: sync once django-celery-beat's tables exist (they do not after
    `migrate django_celery_beat zero`)."""
    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return
    for name in periodic_tasks_sync(using=using):
        if verbosity >= 2:
            print(f"Scheduled periodic task {name!r}")

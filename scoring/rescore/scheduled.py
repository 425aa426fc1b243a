"""The scheduled rescore (Celery beat, hourly by default): only what can have changed.

If the current plan (each active model's published version) has not had a full run, a full
rescore is started instead. Otherwise the contacts whose score can have changed since the last
finished run (its `as_of` T0) up to now T1 are rescored:

- new events: id > E0 (the primary key), E0 being the watermark of the run before the last one,
  so that an event committed late (its transaction open across the last run's start) is seen;
- events crossing a window edge: for each distinct (event type, window W) of the rules, events
  with T0 − W ≤ occurred_at < T1 − W (they counted at T0 and no longer do), and events that
  occurred in (T0, T1] (stored early with a future time, they start counting);
- contacts and companies changed since T0 − RESCAN_MARGIN (updated_at, indexed);
- contacts with events under a decaying rule inside its window (their points shrink every hour);
- incremental markers left behind for more than RESCAN_MARGIN (a lost task message).

All event lookups use the (event_type, occurred_at) index or the primary key, so the cost grows
with activity, not with the number of contacts.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from leads.models import ActivityEvent, Company, Contact
from scoring.engine import Scope, window_start
from scoring.models import RescoreKind, RescoreRun, RescoreStatus
from scoring.rescore.contacts import scope_rescore
from scoring.rescore.plan import Step, plan_current, plan_steps
from scoring.rescore.queue import pending_claim
from scoring.rescore.runs import event_watermark, rescore_resume, rescore_start

RESCAN_MARGIN = timedelta(minutes=5)  # overlap for rows committed a little after their timestamp
DIRTY_BATCH = 5_000
# Above this many contacts (at least FULL_MIN, else this share of all contacts) a full rescore,
# shared among the workers in chunk tasks, is cheaper than one process scoring id lists: with a
# decaying rule every contact with recent events is "dirty" each hour (bench/rescore.py).
FULL_SHARE = 0.1
FULL_MIN = 20_000
SCHEDULED_REASON = "Scheduled: contacts whose score can have changed"
FULL_REASON = "Scheduled: a published version has not had a full rescore yet"


def rescore_scheduled(*, now: datetime | None = None) -> RescoreRun | None:
    """What Celery beat runs: a full rescore when the plan changed, else the dirty rescore.

    Returns the run started (or None while a full rescore is queued or running: it covers
    everything, and the next scheduled run starts from it).
    """
    rescore_resume(now=now)
    busy = RescoreRun.objects.filter(
        kind=RescoreKind.FULL, status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING]
    )
    if busy.exists():
        return None
    last_full = (
        RescoreRun.objects.filter(kind=RescoreKind.FULL, status=RescoreStatus.DONE)
        .order_by("-as_of", "-id")
        .first()
    )
    if plan_current() != (last_full.plan if last_full else []):
        return rescore_start(by=None, reason=FULL_REASON, now=now)
    return rescore_dirty_run(now=now)


def last_finished_run() -> RescoreRun | None:
    """The run the next scheduled run starts from: the finished one with the latest `as_of`."""
    return _finished_runs().first()


def _finished_runs():
    return RescoreRun.objects.filter(status=RescoreStatus.DONE, as_of__isnull=False).order_by(
        "-as_of", "-id"
    )


def _event_watermark_since() -> int:
    """New events are those above the watermark of the run *before* the last one: an event
    numbered below the last run's watermark but committed after that run started (a
    transaction open across its start) is still seen, at the cost of reading one more run's
    worth of new events."""
    marks = [run.event_watermark or 0 for run in _finished_runs()[:2]]
    return min(marks) if marks else 0


def dirty_contact_ids(
    *, steps: list[Step], since: datetime, since_event: int, now: datetime, upto_event: int
) -> list[int]:
    """Contacts whose score can have changed between `since` and `now` (see the module doc)."""
    adapt = connection.ops.adapt_datetimefield_value
    events, contacts = ActivityEvent._meta.db_table, Contact._meta.db_table
    companies = Company._meta.db_table
    changed_since = adapt(since - RESCAN_MARGIN)
    parts: list[tuple[str, list]] = [
        (f"SELECT contact_id FROM {events} WHERE id > %s AND id <= %s", [since_event, upto_event]),
        (f"SELECT id FROM {contacts} WHERE updated_at > %s", [changed_since]),
        (
            f"SELECT c.id FROM {contacts} c JOIN {companies} co ON co.id = c.company_id"
            " WHERE co.updated_at > %s",
            [changed_since],
        ),
    ]
    windows: set[tuple[str, timedelta]] = set()
    decaying: set[tuple[str, timedelta]] = set()
    types: set[str] = set()
    for step in steps:
        for rule in step.spec.engagement_rules:
            width = now - window_start(step.spec, rule, now)
            windows.add((rule.event_type, width))
            types.add(rule.event_type)
            if rule.half_life_days:
                decaying.add((rule.event_type, width))
    in_range = f"SELECT contact_id FROM {events} WHERE event_type = %s AND occurred_at >= %s"
    for event_type, width in sorted(windows):
        parts.append(
            (
                in_range + " AND occurred_at < %s",
                [event_type, adapt(since - width), adapt(now - width)],
            )
        )
    for event_type in sorted(types):
        parts.append(
            (
                f"SELECT contact_id FROM {events} WHERE event_type = %s"
                " AND occurred_at > %s AND occurred_at <= %s",
                [event_type, adapt(since), adapt(now)],
            )
        )
    for event_type, width in sorted(decaying):
        parts.append(
            (in_range + " AND occurred_at <= %s", [event_type, adapt(now - width), adapt(now)])
        )
    sql = " UNION ".join(text for text, _ in parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _, params in parts for p in params])
        return sorted(row[0] for row in cursor.fetchall())


def rescore_dirty_run(*, now: datetime | None = None) -> RescoreRun | None:
    """Rescore the contacts whose score can have changed since the last finished run.

    Recorded as a run of kind `scheduled`; None when one is already running. Synchronous (the
    benchmark times it); the scheduled Celery task calls it through rescore_scheduled. When more
    contacts than FULL_MIN / FULL_SHARE can have changed, it starts a full rescore instead and
    returns that run.
    """
    now = now or timezone.now()
    base = last_finished_run()
    try:
        with transaction.atomic():
            run = RescoreRun.objects.create(
                kind=RescoreKind.SCHEDULED,
                status=RescoreStatus.RUNNING,
                reason=SCHEDULED_REASON,
                created_at=timezone.now(),
                started_at=timezone.now(),
                progress_at=timezone.now(),
                as_of=now,
                plan=plan_current(),
                event_watermark=event_watermark(),
            )
    except IntegrityError:  # a scheduled run is running already
        return None
    try:
        steps = plan_steps(run.plan)
        ids: set[int] = set()
        if base is not None and steps:
            ids.update(
                dirty_contact_ids(
                    steps=steps,
                    since=base.as_of,
                    since_event=_event_watermark_since(),
                    now=now,
                    upto_event=run.event_watermark,
                )
            )
        ids.update(pending_claim(before=now - RESCAN_MARGIN))
        if len(ids) > FULL_MIN and len(ids) > FULL_SHARE * Contact.objects.count():
            # This run leaves no trace: the last finished run stays the base until the full
            # run, which covers these contacts (and the claimed markers), finishes.
            RescoreRun.objects.filter(pk=run.pk).delete()
            reason = f"Scheduled: {len(ids):,} contacts can have changed, a full run is cheaper"
            return rescore_start(by=None, reason=reason)
        ordered = sorted(ids)
        batches = [ordered[i : i + DIRTY_BATCH] for i in range(0, len(ordered), DIRTY_BATCH)]
        RescoreRun.objects.filter(pk=run.pk).update(chunks_total=len(batches))
        for batch in batches:
            result = scope_rescore(steps=steps, scope=Scope(ids=tuple(batch)), now=now)
            RescoreRun.objects.filter(pk=run.pk).update(
                chunks_done=F("chunks_done") + 1,
                contacts_scored=F("contacts_scored") + result.scored,
                scores_changed=F("scores_changed") + result.changed,
                mqls_created=F("mqls_created") + len(result.mqls),
                progress_at=timezone.now(),
            )
    except Exception as exc:
        RescoreRun.objects.filter(pk=run.pk).update(
            status=RescoreStatus.FAILED, finished_at=timezone.now(), error=str(exc)[:5000]
        )
        raise
    RescoreRun.objects.filter(pk=run.pk).update(
        status=RescoreStatus.DONE, finished_at=timezone.now()
    )
    run.refresh_from_db()
    return run

"""Full rescores: one run at a time, split into chunk tasks over contact id ranges.

- rescore_start records a queued run (or returns the one already queued) and sends
  rescore_begin on commit.
- rescore_begin claims the queued run (conditional UPDATE to running; the partial unique index
  refuses a second running full run, and the queued one then waits for it), fixes the plan (the
  versions), `as_of` and the event watermark, creates the chunk rows and sends one task each.
- rescore_chunk_run claims its chunk (claimed_at, claims: committed at once), then scores it in
  one transaction that holds the chunk row locked and sets done, so a chunk is counted and
  written once: a second delivery finds it done (or locked) and writes nothing; a worker killed
  mid-chunk rolls back and the re-sent task redoes it with the same `as_of` and versions. The
  chunk that brings chunks_done to chunks_total marks the run done (conditional UPDATE) and
  starts the queued follow-up, if any.
- A worker that dies leaves its chunk claimed, unlocked and not done: stalled_chunks_resend
  (scoring.rescore.repair, every minute) sends it again after STALLED_WORK_AFTER_SECONDS.
"""

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import analyze_missing
from leads.models import ActivityEvent, Company, Contact
from scoring.engine import Scope, contact_id_chunks
from scoring.models import RescoreChunk, RescoreKind, RescoreRun, RescoreStatus
from scoring.rescore.contacts import scope_rescore
from scoring.rescore.plan import plan_current, plan_steps

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)
CHUNK_SIZE = 20_000  # contact ids per chunk task
STALE_AFTER = timedelta(minutes=10)  # no chunk finished for this long: send the rest again
REASON_MAX = RescoreRun._meta.get_field("reason").max_length


def event_watermark() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {ActivityEvent._meta.db_table}")
        return cursor.fetchone()[0] or 0


def rescore_start(*, by: "User | None", reason: str, now: datetime | None = None) -> RescoreRun:
    """Ask for a full rescore of every contact; returns the run that will do it.

    While a full run is queued (not started), asking again returns that run: it has not fixed
    its versions yet, so it scores whatever is published when it starts. While one is running, a
    new run is queued and starts when the running one ends (so a publish during a run is not
    lost). `now` fixes the run's `as_of` (tests); by default it is the moment the run starts.
    """
    reason = ((reason or "").strip() or "Full rescore")[:REASON_MAX]
    for _attempt in range(5):
        with transaction.atomic():
            # Locked until our transaction ends: rescore_begin cannot start it (and fix its
            # versions) before what we are part of (e.g. a publish) is committed.
            queued = (
                RescoreRun.objects.select_for_update()
                .filter(kind=RescoreKind.FULL, status=RescoreStatus.QUEUED)
                .first()
            )
            if queued is not None:
                # Its begin task was sent when it was queued; sending one more is harmless
                # (begin claims the run) and repairs a lost message.
                transaction.on_commit(partial(_send_begin, queued.pk))
                return queued
            try:
                with transaction.atomic():
                    run = RescoreRun.objects.create(
                        kind=RescoreKind.FULL,
                        reason=reason,
                        started_by=by,
                        created_at=timezone.now(),
                        as_of=now,
                    )
            except IntegrityError:  # another request queued one at the same moment
                continue
            transaction.on_commit(partial(_send_begin, run.pk))
            return run
    raise RuntimeError("Could not queue a full rescore; try again.")  # pragma: no cover


def _send_begin(run_id: int) -> None:
    from scoring import tasks

    tasks.rescore_begin_task.delay(run_id)


def _send_chunks(chunk_ids: list[int]) -> None:
    from scoring import tasks

    for chunk_id in chunk_ids:
        tasks.rescore_chunk_task.delay(chunk_id)


def _send_next_queued() -> None:
    queued = RescoreRun.objects.filter(kind=RescoreKind.FULL, status=RescoreStatus.QUEUED).first()
    if queued is not None:
        _send_begin(queued.pk)


def rescore_begin(*, run_id: int) -> bool:
    """Start a queued full run; False when it is not queued or another full run is running."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                started = RescoreRun.objects.filter(pk=run_id, status=RescoreStatus.QUEUED).update(
                    status=RescoreStatus.RUNNING,
                    started_at=now,
                    progress_at=now,
                    as_of=Coalesce("as_of", now),
                )
        except IntegrityError:  # a full run is running; it starts this one when it ends
            return False
        if not started:
            return False
        analyze_missing(Contact, Company, ActivityEvent)  # never plan for a table without stats
        run = RescoreRun.objects.get(pk=run_id)
        run.plan = plan_current()
        run.event_watermark = event_watermark()
        ranges = contact_id_chunks(CHUNK_SIZE) if run.plan else []
        if not run.plan:
            # No model scores anyone: one chunk still clears scores of deactivated models.
            ranges = contact_id_chunks(2**62)
        chunks = RescoreChunk.objects.bulk_create(
            RescoreChunk(run=run, lo=lo, hi=hi) for lo, hi in ranges
        )
        run.chunks_total = len(chunks)
        fields = ["plan", "event_watermark", "chunks_total"]
        if not chunks:
            run.status, run.finished_at = RescoreStatus.DONE, now
            fields += ["status", "finished_at"]
            transaction.on_commit(_send_next_queued)
        run.save(update_fields=fields)
        chunk_ids = [chunk.pk for chunk in chunks]
        transaction.on_commit(lambda: _send_chunks(chunk_ids))
    return True


def rescore_chunk_run(*, chunk_id: int) -> bool:
    """Score one chunk of a running full run; False when it was done already, the run ended, or
    another worker is scoring it right now.

    Two transactions. The claim (committed at once) stamps claimed_at and counts the start: the
    heartbeat the stall scan reads. The work locks the chunk row for as long as it scores, so a
    second delivery meanwhile skips it, and a worker that dies mid-chunk leaves the row unlocked
    (PostgreSQL rolls its transaction back): the stall scan sends it again and the next worker
    redoes it from scratch with the same `as_of` and versions, so the scores equal an
    undisturbed run's and the chunk is counted once.
    """
    with transaction.atomic():
        chunk = _chunk_lock(chunk_id)
        if chunk is None:
            return False
        RescoreChunk.objects.filter(pk=chunk_id).update(
            claimed_at=timezone.now(), claims=F("claims") + 1
        )
    with transaction.atomic():
        chunk = _chunk_lock(chunk_id)
        if chunk is None:
            return False
        run = RescoreRun.objects.get(pk=chunk.run_id)
        if run.status != RescoreStatus.RUNNING:
            return False
        steps = plan_steps(run.plan)
        result = scope_rescore(steps=steps, scope=Scope(lo=chunk.lo, hi=chunk.hi), now=run.as_of)
        now = timezone.now()
        RescoreChunk.objects.filter(pk=chunk_id).update(
            done=True,
            finished_at=now,
            contacts_scored=result.scored,
            scores_changed=result.changed,
            mqls_created=len(result.mqls),
        )
        RescoreRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1,
            contacts_scored=F("contacts_scored") + result.scored,
            scores_changed=F("scores_changed") + result.changed,
            mqls_created=F("mqls_created") + len(result.mqls),
            progress_at=now,
        )
        finished = RescoreRun.objects.filter(
            pk=run.pk, status=RescoreStatus.RUNNING, chunks_done=F("chunks_total")
        ).update(status=RescoreStatus.DONE, finished_at=now)
        if finished:
            transaction.on_commit(_send_next_queued)
    return True


def _chunk_lock(chunk_id: int) -> RescoreChunk | None:
    """The chunk, locked until the transaction ends, if it is not done and no other transaction
    holds it (a live worker scoring it): SKIP LOCKED, so nobody waits for a running chunk."""
    return (
        RescoreChunk.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=chunk_id, done=False, run__status=RescoreStatus.RUNNING)
        .only("pk", "run_id", "lo", "hi")
        .first()
    )


def rescore_chunk_failed(*, chunk_id: int, error: str) -> None:
    """A chunk task gave up: the run fails (once) and the queued follow-up, if any, starts."""
    run_id = RescoreChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
    if run_id is None:
        return
    with transaction.atomic():
        failed = RescoreRun.objects.filter(pk=run_id, status=RescoreStatus.RUNNING).update(
            status=RescoreStatus.FAILED, finished_at=timezone.now(), error=error[:5000]
        )
        if failed:
            transaction.on_commit(_send_next_queued)


def rescore_resume(*, now: datetime | None = None) -> None:
    """Repair what a lost message or a dead process can leave behind (the scheduled task calls
    it): a queued full run with none running is started; a running one with no progress for
    STALE_AFTER gets its unfinished chunks sent again (a chunk already done ignores the second
    message); a scheduled run with no progress for STALE_AFTER is marked failed."""
    now = now or timezone.now()
    # A scheduled run whose process died would block the next ones (one running per kind).
    RescoreRun.objects.filter(
        kind=RescoreKind.SCHEDULED, status=RescoreStatus.RUNNING, progress_at__lt=now - STALE_AFTER
    ).update(
        status=RescoreStatus.FAILED,
        finished_at=now,
        error="No progress for 10 minutes: the process running it stopped.",
    )
    running = RescoreRun.objects.filter(kind=RescoreKind.FULL, status=RescoreStatus.RUNNING).first()
    if running is None:
        _send_next_queued()
        return
    if running.progress_at and running.progress_at < now - STALE_AFTER:
        pending = list(running.chunks.filter(done=False).values_list("pk", flat=True))
        log.warning("Full rescore %s made no progress; sending %d chunks again", running.pk,
                    len(pending))  # fmt: skip
        RescoreRun.objects.filter(pk=running.pk).update(progress_at=now)
        _send_chunks(pending)

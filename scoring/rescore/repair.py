"""The stall scan of full rescores: chunks whose worker died are sent again within minutes.

Redis hands an unacknowledged message out again only after CELERY_VISIBILITY_TIMEOUT (hours),
so a worker that dies as a whole (not only a pool child, which Celery itself replaces and
requeues) would leave its chunk, and the run, waiting that long. Instead the app watches its
own heartbeat: rescore_chunk_run stamps `claimed_at` when it starts a chunk and holds the chunk
row locked while it scores it. A chunk that is not done, not locked (no live transaction on
it), and claimed (or re-sent) longer ago than STALLED_WORK_AFTER_SECONDS lost its worker.

A chunk that was never claimed is only late in the queue while the run makes progress; when
nothing has been claimed or finished for STALLED_WORK_AFTER_SECONDS, its message is taken as
lost too. A chunk that stopped its worker MAX_CLAIMS times fails the run instead of looping.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from scoring.models import RescoreChunk, RescoreKind, RescoreRun, RescoreStatus
from scoring.rescore.runs import _send_chunks, rescore_chunk_failed, rescore_resume

log = logging.getLogger(__name__)
MAX_CLAIMS = 5  # a chunk started this often without finishing fails the run


def stalled_after() -> timedelta:
    return timedelta(seconds=settings.STALLED_WORK_AFTER_SECONDS)


def stalled_chunks_resend(*, now: datetime | None = None) -> list[int]:
    """Send again the chunks of the running full rescore that lost their worker; returns their
    ids. Safe to run twice and concurrently (SKIP LOCKED; a re-sent chunk is not re-sent again
    before another STALLED_WORK_AFTER_SECONDS)."""
    now = now or timezone.now()
    cutoff = now - stalled_after()
    run = RescoreRun.objects.filter(
        kind=RescoreKind.FULL, status=RescoreStatus.RUNNING, started_at__lt=cutoff
    ).first()
    if run is None:
        return []
    chunks = RescoreChunk.objects.filter(run=run, done=False)
    moving = (run.progress_at and run.progress_at >= cutoff) or chunks.filter(
        claimed_at__gte=cutoff
    ).exists()
    lost = Q(claimed_at__lt=cutoff)
    if not moving:
        lost |= Q(claimed_at__isnull=True)
    with transaction.atomic():
        stalled = list(
            chunks.select_for_update(skip_locked=True)
            .filter(lost)
            .filter(Q(resent_at__isnull=True) | Q(resent_at__lt=cutoff))
            .order_by("lo")
        )
        poison = next((chunk for chunk in stalled if chunk.claims >= MAX_CLAIMS), None)
        if poison is not None:
            rescore_chunk_failed(
                chunk_id=poison.pk,
                error=f"Contacts {poison.lo}–{poison.hi} were started {poison.claims} times and "
                "the worker stopped each time (out of memory?); the run was given up.",
            )
            return []
        ids = [chunk.pk for chunk in stalled]
        if ids:
            RescoreChunk.objects.filter(pk__in=ids).update(resent=F("resent") + 1, resent_at=now)
            log.warning("Full rescore %s: %d chunks lost their worker; sending them again",
                        run.pk, len(ids))  # fmt: skip
            transaction.on_commit(partial(_send_chunks, ids))
    return ids


def rescore_repair(*, now: datetime | None = None) -> list[int]:
    """The minute's repair (beat task scoring.rescore_repair): stalled chunks are sent again,
    then rescore_resume's checks (a queued run with none running is started; a run with no
    progress for long gets its unfinished chunks sent again)."""
    now = now or timezone.now()
    resent = stalled_chunks_resend(now=now)
    rescore_resume(now=now)
    return resent

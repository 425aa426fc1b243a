"""Celery tasks of scoring: take ids, call one service. Each is safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from scoring import rescore

RETRIES = 3


@shared_task(name="scoring.rescore_begin")
def rescore_begin_task(run_id: int) -> bool:
    return rescore.rescore_begin(run_id=run_id)


@shared_task(name="scoring.rescore_chunk", bind=True, max_retries=RETRIES)
def rescore_chunk_task(self, chunk_id: int) -> bool:
    """One chunk of a full rescore. A deadlock or lost connection is retried; any other error
    (or the last retry) fails the run, so it does not hang as "running"."""
    try:
        return rescore.rescore_chunk_run(chunk_id=chunk_id)
    except OperationalError as exc:
        if self.request.retries < RETRIES:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        rescore.rescore_chunk_failed(chunk_id=chunk_id, error=f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        rescore.rescore_chunk_failed(chunk_id=chunk_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(
    name="scoring.contacts_rescore",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=RETRIES,
)
def contacts_rescore_task(contact_ids: list[int]) -> int:
    """The incremental rescore of contacts that got a pending marker (see scoring.rescore.queue)."""
    return rescore.contacts_rescore_pending(contact_ids=contact_ids).changed


@shared_task(name="scoring.rescore_scheduled")
def rescore_scheduled_task() -> int | None:
    run = rescore.rescore_scheduled()
    return run.pk if run else None


@shared_task(name="scoring.rescore_repair")
def rescore_repair_task() -> int:
    """Every minute: send again the chunks of a full rescore whose worker died."""
    return len(rescore.rescore_repair())

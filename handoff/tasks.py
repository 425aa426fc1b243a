"""Handoff tasks: thin, take ids, call one service; every one is safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from handoff import services

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def mqls_assign(mql_ids: list[int]) -> int:
    """Route and assign MQLs that just opened."""
    return services.mqls_assign(mql_ids=mql_ids)


@shared_task(**RETRY)
def sla_scan() -> dict:
    """Every minute (Celery beat): record newly breached clocks once, tell owners of clocks
    turned at risk once, retry unassigned MQLs, send the new-MQL digests that are due."""
    breaches = services.breaches_record()
    at_risk = services.clocks_at_risk_notify()
    assigned = services.mqls_unassigned_retry()
    told = services.new_mqls_notify()
    return {"breaches": breaches, "at_risk": at_risk, "assigned": assigned, "new_mqls_told": told}

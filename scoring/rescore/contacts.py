"""Rescore given contacts now (the incremental path): every model of the current plan."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from scoring.engine import Scope
from scoring.rescore.plan import Step, plan_current_steps, scope_score
from scoring.rescore.qualify import contacts_mql_qualify
from scoring.rescore.queue import pending_claim

BATCH = 1_000  # contacts per statement set (and per transaction)


@dataclass
class RescoreResult:
    scored: int = 0
    changed: int = 0
    mqls: list[int] = field(default_factory=list)  # contacts moved to mql

    def add(self, other: "RescoreResult") -> None:
        self.scored += other.scored
        self.changed += other.changed
        self.mqls += other.mqls


def scope_rescore(*, steps: list[Step], scope: Scope, now: datetime) -> RescoreResult:
    """Score one scope as of `now` and move the contacts that became eligible to mql, in one
    transaction. The stage changes carry the real time (a full run's `as_of` can be minutes
    old, and a contact's history must stay in order)."""
    with transaction.atomic(savepoint=False):  # a savepoint would only cost a round trip
        stats = scope_score(steps=steps, scope=scope, now=now)
        moved = contacts_mql_qualify(newly_eligible=stats.newly_eligible, now=timezone.now())
    return RescoreResult(scored=stats.scored, changed=stats.changed, mqls=moved)


def contacts_rescore(
    *, contact_ids: Iterable[int], now: datetime | None = None, steps: list[Step] | None = None
) -> RescoreResult:
    """Rescore these contacts under the current plan (published versions of active models),
    write the changed scores and make the newly eligible ones MQLs. Set-based per BATCH."""
    now = now or timezone.now()
    ids = sorted({int(pk) for pk in contact_ids})
    if steps is None:
        steps = plan_current_steps()
    result = RescoreResult()
    for start in range(0, len(ids), BATCH):
        scope = Scope(ids=tuple(ids[start : start + BATCH]))
        result.add(scope_rescore(steps=steps, scope=scope, now=now))
    return result


def contacts_rescore_pending(
    *, contact_ids: Iterable[int], now: datetime | None = None
) -> RescoreResult:
    """The incremental task's work: claim these contacts' pending markers and rescore the claimed
    ones, in one transaction (a second run of the same task finds nothing to claim)."""
    with transaction.atomic():
        claimed = pending_claim(contact_ids=sorted({int(pk) for pk in contact_ids}))
        if not claimed:
            return RescoreResult()
        return contacts_rescore(contact_ids=claimed, now=now)

"""Rescoring: which model scores a contact, full runs in chunk tasks, incremental and scheduled.

The policy is described in the scoring docs (docs/scoring.md). The runs' REST API, pages and
routes are api, views and urls.
"""

from scoring.rescore.contacts import (
    RescoreResult,
    contacts_rescore,
    contacts_rescore_pending,
    scope_rescore,
)
from scoring.rescore.plan import plan_current, plan_current_steps, plan_steps, scope_score
from scoring.rescore.qualify import SCORING_ACTOR, contacts_mql_qualify
from scoring.rescore.queue import contacts_rescore_queue, pending_claim, pending_mark
from scoring.rescore.repair import rescore_repair, stalled_chunks_resend
from scoring.rescore.runs import (
    rescore_begin,
    rescore_chunk_failed,
    rescore_chunk_run,
    rescore_resume,
    rescore_start,
)
from scoring.rescore.scheduled import (
    dirty_contact_ids,
    last_finished_run,
    rescore_dirty_run,
    rescore_scheduled,
)

__all__ = [
    "SCORING_ACTOR",
    "RescoreResult",
    "contacts_mql_qualify",
    "contacts_rescore",
    "contacts_rescore_pending",
    "contacts_rescore_queue",
    "dirty_contact_ids",
    "last_finished_run",
    "pending_claim",
    "pending_mark",
    "plan_current",
    "plan_current_steps",
    "plan_steps",
    "rescore_begin",
    "rescore_chunk_failed",
    "rescore_chunk_run",
    "rescore_dirty_run",
    "rescore_repair",
    "rescore_resume",
    "rescore_scheduled",
    "rescore_start",
    "scope_rescore",
    "scope_score",
    "stalled_chunks_resend",
]

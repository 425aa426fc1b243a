"""Writes of the handoff: opening MQLs, routing and assignment, touches, settling MQLs, SLA clocks.

Every state change of an MQL is a conditional UPDATE on its status (and owner), so two people
acting at once, or a task run twice, change it exactly once; the loser gets a ConflictError.
Every write that touches a contact and its MQLs first takes its locks through locking.mqls_lock
(contacts, MQLs, team members, SLA clocks, each by id), so such writes queue instead of
deadlocking.

One module per part, each importing only those before it:
locking, clocks → notifications → mqls (open, route, assign, reassign) → acting (who may act, touches,
settling with sales' decision) → stages (following the contact's stage) → breaches; teams (who may change a team and its
members) stands apart.
Sales' decision itself (accept / reject) is feedback's: feedback.services calls mql_require_open
and mql_settle.
"""

from handoff.services.acting import mql_can_act, mql_require_open, mql_settle, mql_touch
from handoff.services.breaches import (
    BreachSummary,
    breach_acknowledge,
    breach_waive,
    breaches_record,
    clocks_at_risk_notify,
)
from handoff.services.clocks import (
    calendar_for,
    clock_times,
    clocks_retime,
    clocks_retime_for_calendar,
    clocks_retime_for_policy,
    clocks_retime_for_team,
    clocks_stop,
    policy_for,
)
from handoff.services.locking import mqls_lock
from handoff.services.mqls import (
    mqls_assign,
    mqls_open,
    mqls_reassign,
    mqls_route,
    mqls_unassigned_retry,
    routing_conditions_clean,
)
from handoff.services.notifications import (
    BATCH,
    EMAIL_LINES,
    Notice,
    new_mqls_notify,
    notifications_mark_read,
    notifications_send,
    notify,
    notify_many,
)
from handoff.services.stages import mqls_close_outside_queue, mqls_follow_stages
from handoff.services.teams import (
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_member_update,
    team_update,
)

__all__ = [
    "new_mqls_notify",
    "BATCH",
    "EMAIL_LINES",
    "BreachSummary",
    "Notice",
    "breach_acknowledge",
    "breach_waive",
    "breaches_record",
    "calendar_for",
    "clock_times",
    "clocks_at_risk_notify",
    "clocks_retime",
    "clocks_retime_for_calendar",
    "clocks_retime_for_policy",
    "clocks_retime_for_team",
    "clocks_stop",
    "mql_can_act",
    "mql_require_open",
    "mql_settle",
    "mql_touch",
    "mqls_assign",
    "mqls_close_outside_queue",
    "mqls_lock",
    "mqls_follow_stages",
    "mqls_open",
    "mqls_reassign",
    "mqls_route",
    "mqls_unassigned_retry",
    "notifications_mark_read",
    "notifications_send",
    "notify",
    "notify_many",
    "policy_for",
    "routing_conditions_clean",
    "team_create",
    "team_delete",
    "team_member_add",
    "team_member_remove",
    "team_member_update",
    "team_update",
]

"""Acting on an MQL in the queue: who may act, touches, and settling it with sales' decision
(feedback.services.mql_accept / mql_reject record the decision and call mql_settle).

`by` and `user` are typed as Django's User (under TYPE_CHECKING, so a custom user model would
only change the annotation): every service that takes the acting user does the same.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.db import retry_lock_conflicts
from core.exceptions import ConflictError, DomainError
from core.roles import is_admin
from handoff.models import Mql, MqlStatus, SlaKind, Touch, TouchKind
from handoff.selectors import managed_team_ids
from handoff.services.clocks import clocks_stop
from handoff.services.locking import mqls_lock

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def mql_can_act(*, user: "User", mql: Mql) -> bool:
    """The owner, a manager of its team, or an admin."""
    return (
        mql.owner_id == user.pk
        or is_admin(user)
        or (mql.team_id is not None and mql.team_id in managed_team_ids(user))
    )


def mql_require_open(*, mql: Mql, by: "User") -> None:
    """Before acting: DomainError if `by` may not act on the MQL, ConflictError if it is no
    longer open."""
    if not mql_can_act(user=by, mql=mql):
        raise DomainError("Only the owner or a manager of its team can act on this MQL.")
    if mql.status != MqlStatus.OPEN:
        raise ConflictError(f"This MQL is already {mql.get_status_display().lower()}.")


def mql_touch(
    *, mql: Mql, by: "User", kind: str, note: str = "", now: datetime | None = None
) -> Touch:
    """Log a call, email or meeting; the first one stops the first-touch clock."""
    now = now or timezone.now()
    if kind not in TouchKind.values:
        raise DomainError("Choose call, email or meeting.", field="kind")
    mql_require_open(mql=mql, by=by)
    return _touch_record(mql=mql, by=by, kind=kind, note=note, now=now)


@retry_lock_conflicts
def _touch_record(*, mql: Mql, by: "User", kind: str, note: str, now: datetime) -> Touch:
    with transaction.atomic():
        mqls_lock(mql_ids=[mql.pk])
        touch = Touch.objects.create(mql=mql, kind=kind, note=note.strip()[:5000], by=by, at=now)
        first = Mql.objects.filter(pk=mql.pk, first_touch_at__isnull=True).update(
            first_touch_at=now
        )
        if first:
            clocks_stop(mql_ids=[mql.pk], kinds=[SlaKind.FIRST_TOUCH], now=now)
    return touch


def mql_settle(*, mql: Mql, status: MqlStatus, now: datetime) -> None:
    """Sales decided: the open MQL becomes `status` (accepted or rejected) and its clocks stop.
    Called inside the decision's transaction, after mql_require_open.

    The contact, the MQL and its clocks are locked first, in the one lock order
    (handoff.services.locking): a stage change or a reassignment racing this decision waits for
    it, or wins and this one finds the MQL closed or moved. The status
    changes only if the MQL is still open and still this owner's; otherwise ConflictError says
    who got there first.
    """
    if status not in (MqlStatus.ACCEPTED, MqlStatus.REJECTED):
        raise ValueError(f"A decision accepts or rejects an MQL, not {status!r}.")
    mqls_lock(mql_ids=[mql.pk])
    won = Mql.objects.filter(pk=mql.pk, status=MqlStatus.OPEN, owner_id=mql.owner_id).update(
        status=status, decided_at=now
    )
    if won != 1:
        current = Mql.objects.select_related("owner").get(pk=mql.pk)
        if current.status == MqlStatus.OPEN:
            raise ConflictError(f"This MQL was reassigned to {current.owner} meanwhile.")
        raise ConflictError(
            f"This MQL was {current.get_status_display().lower()} meanwhile by someone else."
        )
    clocks_stop(mql_ids=[mql.pk], kinds=SlaKind.values, now=now)

"""SLA breaches: the periodic scan that records them and tells the people concerned, and their
acknowledgement by a manager."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.exceptions import ConflictError, DomainError, ForbiddenError
from core.roles import is_admin
from handoff.models import Breach, MemberRole, Mql, SlaClock, SlaKind, TeamMember
from handoff.selectors import managed_team_ids
from handoff.services.notifications import (
    BATCH,
    EMAIL_LINES,
    Notice,
    _mql_url,
    notifications_send,
    notify_many,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def breach_acknowledge(
    *, breach: Breach, by: "User", note: str, now: datetime | None = None
) -> Breach:
    """A manager or admin notes that they have seen a breach (once)."""
    note = (note or "").strip()
    if not note:
        raise DomainError("Say what was done about it.", field="note")
    return _breach_mark_once(
        breach,
        "acknowledged",
        acknowledged_by=by,
        acknowledged_at=now or timezone.now(),
        acknowledgement=note[:2000],
    )


def breach_waive(*, breach: Breach, by: "User", reason: str, now: datetime | None = None) -> Breach:
    """A manager of the breach's team, or an admin, waives it with a reason (once): it is
    listed apart and left out of compliance figures."""
    team_id = breach.breached_team_id
    if not (is_admin(by) or (team_id and team_id in managed_team_ids(by))):
        raise ForbiddenError("Only the team's managers and admins can waive a breach.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the breach is waived.", field="reason")
    return _breach_mark_once(
        breach, "waived", waived_by=by, waived_at=now or timezone.now(), waiver_reason=reason[:2000]
    )


def _breach_mark_once(breach: Breach, done: str, **fields) -> Breach:
    """Write `fields` if the breach is not `done` yet (its `<done>_at` is empty), with one
    conditional update, so two managers at once cannot both do it; the second gets a 409."""
    marked = Breach.objects.filter(pk=breach.pk, **{f"{done}_at__isnull": True}).update(**fields)
    if marked != 1:
        raise ConflictError(f"This breach was {done} already.")
    breach.refresh_from_db()
    return breach


def clocks_at_risk_notify(*, now: datetime | None = None) -> int:
    """Tell each owner, once, that a running clock of theirs turned at risk (the breach scan
    calls it every minute). A clock is claimed with a conditional update of
    at_risk_notified_at, so two scans tell nobody twice; a clock without an owner is marked
    all the same. Returns how many clocks it claimed."""
    now = now or timezone.now()
    with transaction.atomic():
        due = SlaClock.objects.select_for_update(skip_locked=True).filter(
            stopped_at__isnull=True,
            breached_at__isnull=True,
            at_risk_notified_at__isnull=True,
            at_risk_at__lte=now,
            due_at__gt=now,
        )
        ids = list(due.values_list("pk", flat=True)[:BATCH])
        SlaClock.objects.filter(pk__in=ids, at_risk_notified_at__isnull=True).update(
            at_risk_notified_at=now
        )
        clocks = SlaClock.objects.filter(pk__in=ids).select_related("mql__owner", "mql__contact")
        notify_many(
            (
                (
                    c.mql.owner,
                    f"SLA at risk: {SlaKind(c.kind).label} for {c.mql.contact},"
                    f" due {timezone.localtime(c.due_at):%Y-%m-%d %H:%M}",
                    c.mql,
                )
                for c in clocks.order_by("due_at", "pk")
            ),
            now=now,
            subject="SLA clocks at risk",
        )
    return len(ids)


def breaches_record(*, now: datetime | None = None) -> int:
    """Record every clock that ran out by `now` as breached, exactly once, and tell the rep and
    the team's managers: one in-app notification and one email per person and scan, however
    many breaches it found. Returns how many breaches it recorded.

    On PostgreSQL one statement does the work: a conditional UPDATE marks the due running
    clocks breached, with the MQL's team and owner (a clock is marked by one scan only, however
    many schedulers run: a concurrent scan waits on the row locks, then skips them), and from
    its RETURNING rows come each recipient's count per kind and first lines. No index names a
    column it writes, so each row is rewritten in place (see SlaClock). Then
    notifications_send writes a notification per person and sends their emails on commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        recorded, summaries = _breaches_claim(now)
        notifications_send(
            notices=[summary.notice() for summary in summaries], subject="SLA breaches", now=now
        )
    return recorded


@dataclass
class BreachSummary:
    """What one person hears about one scan: a count per clock kind and the first lines."""

    user_id: int
    email: str = ""
    kinds: dict[str, int] = field(default_factory=dict)
    lines: list[tuple[str, int]] = field(default_factory=list)  # (message, mql id)
    url: str = ""

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def mql_id(self) -> int | None:
        return self.lines[0][1] if self.total == 1 else None

    @property
    def message(self) -> str:
        if self.total == 1:
            return self.lines[0][0]
        kinds = ", ".join(
            f"{self.kinds[kind]} {kind.label.lower()}" for kind in SlaKind if kind in self.kinds
        )
        return f"{self.total} SLA breaches: {kinds}"

    def notice(self) -> Notice:
        """The person's one notification: the summary, its first lines and the link to all."""
        return Notice(
            user_id=self.user_id,
            email=self.email,
            message=self.message,
            url=self.url,
            mql_id=self.mql_id,
            lines=tuple((message, _mql_url(mql_id)) for message, mql_id in self.lines),
            total=self.total,
        )


def _breaches_claim(now: datetime) -> tuple[int, list[BreachSummary]]:
    """Mark the due running clocks breached at `now`; the number marked and, per recipient,
    the summary of theirs."""
    at = connection.ops.adapt_datetimefield_value(now)
    clock, mql = SlaClock._meta.db_table, Mql._meta.db_table
    due = "{0}stopped_at IS NULL AND {0}breached_at IS NULL AND {0}due_at <= %s"
    new = "{0}id, {0}mql_id, {0}kind, {0}breached_team_id AS team_id, {0}breached_owner_id AS owner_id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Sorting the recipients' lines in memory, and no JIT for a one-off plan.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(
                f"WITH new AS (UPDATE {clock} c SET breached_at = %s,"
                " breached_team_id = coalesce(m.team_id, m.routed_team_id),"
                f" breached_owner_id = m.owner_id FROM {mql} m"
                f" WHERE m.id = c.mql_id AND {due.format('c.')}"
                f" RETURNING {new.format('c.')}), " + _BREACH_SUMMARY_SQL,
                [at, at, MemberRole.MANAGER, EMAIL_LINES],
            )
        else:  # SQLite: the UPDATE holds the database's write lock until the commit
            mql_of = f"(SELECT {{}} FROM {mql} m WHERE m.id = {clock}.mql_id)"
            cursor.execute(
                f"UPDATE {clock} SET breached_at = %s,"
                f" breached_team_id = {mql_of.format('coalesce(m.team_id, m.routed_team_id)')},"
                f" breached_owner_id = {mql_of.format('m.owner_id')} WHERE {due.format('')}",
                [at, at],
            )
            if not cursor.rowcount:
                return 0, []
            cursor.execute(
                f"WITH new AS (SELECT {new.format('')} FROM {clock} WHERE breached_at = %s), "
                + _BREACH_SUMMARY_SQL,
                [at, MemberRole.MANAGER, EMAIL_LINES],
            )
        rows = cursor.fetchall()
    return _breach_summaries(rows, now)


# Over `new` (the breaches just recorded): one row with their number, then per recipient (the
# rep, and each active manager of the team) a row per kind with its count and a row for each of
# their first EMAIL_LINES breaches (named afterwards: a few hundred lookups by key, where a join in
# the statement would read every MQL and contact).
_BREACH_SUMMARY_SQL = f"""
    recipients AS (
        SELECT id, mql_id, kind, owner_id AS user_id FROM new WHERE owner_id IS NOT NULL
        UNION ALL
        SELECT n.id, n.mql_id, n.kind, tm.user_id FROM new n JOIN {TeamMember._meta.db_table} tm
          ON tm.team_id = n.team_id AND tm.role = %s AND tm.is_active
         AND (n.owner_id IS NULL OR tm.user_id <> n.owner_id)
    ),
    firsts AS (
        SELECT * FROM (
            SELECT r.*, row_number() OVER (PARTITION BY user_id ORDER BY id) AS nth
            FROM recipients r
        ) ranked WHERE nth <= %s
    )
    SELECT CAST(NULL AS INTEGER), CAST(NULL AS TEXT), count(*), CAST(NULL AS BIGINT) FROM new
    UNION ALL
    SELECT user_id, kind, count(*), NULL FROM recipients GROUP BY user_id, kind
    UNION ALL
    SELECT user_id, kind, NULL, mql_id FROM firsts
"""


NAME = ("contact__first_name", Value(" "), "contact__last_name")


def _breach_summaries(rows: list[tuple], now: datetime) -> tuple[int, list[BreachSummary]]:
    recorded, by_user = 0, {}
    names = dict(
        Mql.objects.filter(pk__in={row[3] for row in rows if row[3] is not None}).values_list(
            "pk",
            Coalesce(
                NullIf(Trim(Concat(*NAME)), Value("")), "contact__email", output_field=CharField()
            ),
        )
    )
    for user_id, kind, count, mql_id in rows:
        if user_id is None:
            recorded = count
            continue
        summary = by_user.setdefault(user_id, BreachSummary(user_id))
        if count is not None:
            summary.kinds[kind] = count
        else:
            who = names[mql_id]
            summary.lines.append((f"SLA breached: {SlaKind(kind).label} for {who}", mql_id))
    emails = get_user_model().objects.filter(pk__in=list(by_user)).values_list("pk", "email")
    page = _breaches_url(now)
    for user_id, email in emails:
        summary = by_user[user_id]
        summary.lines.sort(key=lambda line: line[1])
        summary.email = email or ""
        summary.url = _mql_url(summary.lines[0][1]) if summary.total == 1 else page
    return recorded, list(by_user.values())


def _breaches_url(now: datetime) -> str:
    """The breaches page showing one scan's breaches (within what each reader may see)."""
    try:
        page = reverse("handoff:breaches")
    except NoReverseMatch:
        return ""
    return f"{page}?{urlencode({'breached_at': now.isoformat()})}"

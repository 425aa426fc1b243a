"""Notifications: the one writer of in-app notifications and the one sender of their emails.

`notifications_send` writes the rows in one insert and, once the transaction commits, sends one
email per person. `notify` and `notify_many` are its shorthand for the handoff's events (an MQL
for you, one waiting, closed); the SLA breach scan sends its per-person summaries through it.
`notifications_mark_read` is the one writer of `read_at`, for the page and the API.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from handoff.models import Assignment, MemberRole, Mql, Notification, TeamMember

if TYPE_CHECKING:
    from django.contrib.auth.models import User

BATCH = 5000
EMAIL_LINES = 20  # an email lists at most this many notifications, then a count
MESSAGE_LENGTH = Notification._meta.get_field("message").max_length


def _mql_url(mql_id: int) -> str:
    try:
        return reverse("handoff:mql", args=[mql_id])
    except NoReverseMatch:  # pages come with the queue
        return ""


@dataclass(frozen=True)
class Notice:
    """One in-app notification for one person, and what their email says about it.

    A notice may stand for many items (a breach scan's summary for one person): `lines` are the
    first of them as (message, url), `total` how many there are in all, and `url` the page that
    lists them. A notice for one item has no lines: its email line is its message and url.
    """

    user_id: int
    email: str
    message: str
    url: str = ""
    mql_id: int | None = None
    lines: tuple[tuple[str, str], ...] = ()
    total: int = 1

    @property
    def email_lines(self) -> tuple[tuple[str, str], ...]:
        return self.lines or ((self.message[:MESSAGE_LENGTH], self.url),)


def notifications_send(
    *, notices: Iterable[Notice], subject: str, now: datetime
) -> list[Notification]:
    """Write the notices as notifications in one bulk insert; once the transaction commits, send
    one email per person (address) listing theirs, at most EMAIL_LINES lines, then a count of the
    rest. The subject is the only item's message, or "<how many> <subject>"."""
    notices = list(notices)
    rows = [
        Notification(
            user_id=notice.user_id,
            message=notice.message[:MESSAGE_LENGTH],
            url=notice.url,
            mql_id=notice.mql_id,
            created_at=now,
        )
        for notice in notices
    ]
    Notification.objects.bulk_create(rows, batch_size=BATCH)
    by_email: dict[str, list[Notice]] = {}
    for notice in notices:
        if notice.email:
            by_email.setdefault(notice.email, []).append(notice)
    if by_email:
        transaction.on_commit(lambda: _emails_send(by_email, subject))
    return rows


def _emails_send(by_email: dict[str, list[Notice]], subject: str) -> None:
    """One email per address: its first lines, then how many more and where to see them (the
    page of a summary when the email is one summary)."""
    site = getattr(settings, "SITE_URL", "")
    for email, notices in by_email.items():
        items = [item for notice in notices for item in notice.email_lines]
        total = sum(notice.total for notice in notices)
        shown = items[:EMAIL_LINES]
        lines = [f"{message}  {site}{url}".rstrip() for message, url in shown]
        rest = total - len(shown)
        if rest > 0:
            more_url = notices[0].url if len(notices) == 1 else ""
            lines.append(
                f"… and {rest} more: {site}{more_url}"
                if more_url
                else f"… and {rest} more in LeadBridge."
            )
        title = items[0][0] if total == 1 else f"{total} {subject}"
        send_mail(
            f"[LeadBridge] {title[:120]}", "\n".join(lines), None, [email], fail_silently=True
        )


def notify(*, users: Iterable["User"], message: str, mql: Mql | None, now: datetime) -> None:
    """An in-app notification for each user, and an email once the transaction commits."""
    notify_many([(user, message, mql) for user in users], now=now, subject=message)


def notify_many(
    items: Iterable[tuple["User | None", str, Mql | None]], *, now: datetime, subject: str
) -> None:
    """(user, message, mql or None) notifications, each once (no user: skipped), sent by
    notifications_send: one insert, then one email per person listing their messages."""
    seen, notices = set(), []
    for user, message, mql in items:
        if user is None:
            continue
        key = (user.pk, message, mql.pk if mql else None)
        if key in seen:
            continue
        seen.add(key)
        notices.append(
            Notice(
                user_id=user.pk,
                email=user.email or "",
                message=message[:MESSAGE_LENGTH],
                url=_mql_url(mql.pk) if mql else "",
                mql_id=mql.pk if mql else None,
            )
        )
    notifications_send(notices=notices, subject=subject, now=now)


def new_mqls_notify(*, now: datetime | None = None, owner_ids: Iterable[int] | None = None) -> int:
    """Tell reps of the MQLs newly assigned to them (optionally only these owners'). A rep who
    heard of none within LEADBRIDGE_NEW_MQL_DIGEST_MINUTES hears at once; one who did waits, and
    the MQLs assigned meanwhile come in one digest when that time is up (the SLA scan calls this
    every minute): a hundred MQLs routed at once are one notification and one email, not a
    hundred. Each assignment is told once (claimed with a conditional update). Returns how many
    assignments it told of."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.LEADBRIDGE_NEW_MQL_DIGEST_MINUTES)
    untold = Assignment.objects.filter(
        notified_at__isnull=True, previous_owner__isnull=True, owner__isnull=False
    )
    if owner_ids is not None:
        untold = untold.filter(owner_id__in=list(owner_ids))
    heard_lately = Assignment.objects.filter(owner=OuterRef("owner"), notified_at__gt=now - window)
    with transaction.atomic():
        ids = list(
            untold.exclude(Exists(heard_lately))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:BATCH]
        )
        told = list(
            Assignment.objects.filter(pk__in=ids, notified_at__isnull=True)
            .select_related("owner", "mql__contact")
            .order_by("owner_id", "at", "pk")
        )
        Assignment.objects.filter(pk__in=[a.pk for a in told]).update(notified_at=now)
        by_owner: dict[int, list[Assignment]] = defaultdict(list)
        for assignment in told:
            by_owner[assignment.owner_id].append(assignment)
        notifications_send(
            notices=[_new_mqls_notice(items) for items in by_owner.values()],
            subject="new MQLs",
            now=now,
        )
    return len(told)


def _new_mqls_notice(assignments: list[Assignment]) -> Notice:
    owner, first = assignments[0].owner, assignments[0].mql
    if len(assignments) == 1:
        return Notice(
            user_id=owner.pk,
            email=owner.email or "",
            message=f"New MQL for you: {first.contact}"[:MESSAGE_LENGTH],
            url=_mql_url(first.pk),
            mql_id=first.pk,
        )
    try:
        queue = reverse("handoff:queue")
    except NoReverseMatch:
        queue = ""
    return Notice(
        user_id=owner.pk,
        email=owner.email or "",
        message=f"{len(assignments)} new MQLs for you",
        url=queue,
        lines=tuple(
            (f"New MQL for you: {a.mql.contact}", _mql_url(a.mql_id))
            for a in assignments[:EMAIL_LINES]
        ),
        total=len(assignments),
    )


def notifications_mark_read(
    *, user: "User", ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Mark the user's unread notifications read (only those with these ids, when given); how
    many were marked. Someone else's ids are ignored."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())


def _team_managers(team_id: int | None) -> list["User"]:
    if team_id is None:
        return []
    members = TeamMember.objects.filter(team_id=team_id, role=MemberRole.MANAGER, is_active=True)
    return [member.user for member in members.select_related("user")]

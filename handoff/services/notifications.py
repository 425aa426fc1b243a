"""Notifications: in-app rows in one insert, and one email per person after commit."""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from handoff.models import MemberRole, Mql, Notification, TeamMember

BATCH = 5000
EMAIL_LINES = 20  # an email lists at most this many notifications, then a count


def _mql_url(mql_id: int) -> str:
    try:
        return reverse("handoff:mql", args=[mql_id])
    except NoReverseMatch:  # pages come with the queue
        return ""


def notify(*, users: Iterable, message: str, mql: Mql | None, now: datetime) -> None:
    """An in-app notification for each user, and an email once the transaction commits."""
    notify_many([(user, message, mql) for user in users], now=now, subject=message)


def notify_many(items: list[tuple], *, now: datetime, subject: str) -> None:
    """(user, message, mql or None) notifications in one bulk insert; after commit, one email
    per person listing their messages (at most EMAIL_LINES lines)."""
    seen, rows = set(), []
    for user, message, mql in items:
        key = (user.pk, message, mql.pk if mql else None) if user is not None else None
        if key is None or key in seen:
            continue
        seen.add(key)
        url = _mql_url(mql.pk) if mql else ""
        rows.append(
            Notification(user=user, message=message[:300], url=url, mql=mql, created_at=now)
        )
    Notification.objects.bulk_create(rows, batch_size=BATCH)
    by_email: dict[str, list[Notification]] = {}
    for row in rows:
        if row.user.email:
            by_email.setdefault(row.user.email, []).append(row)
    if by_email:
        transaction.on_commit(lambda: _emails_send(by_email, subject))


def _emails_send(by_email: dict[str, list[Notification]], subject: str) -> None:
    site = getattr(settings, "SITE_URL", "")
    for email, rows in by_email.items():
        lines = [f"{r.message}  {site}{r.url}".rstrip() for r in rows[:EMAIL_LINES]]
        if len(rows) > EMAIL_LINES:
            lines.append(f"… and {len(rows) - EMAIL_LINES} more in LeadBridge.")
        title = rows[0].message if len(rows) == 1 else f"{len(rows)} {subject}"
        send_mail(
            f"[LeadBridge] {title[:120]}", "\n".join(lines), None, [email], fail_silently=True
        )


def _team_managers(team_id: int | None) -> list:
    if team_id is None:
        return []
    members = TeamMember.objects.filter(team_id=team_id, role=MemberRole.MANAGER, is_active=True)
    return [m.user for m in members.select_related("user")]

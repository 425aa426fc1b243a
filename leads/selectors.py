"""Reads of the leads domain. Every read of a contact goes through the user it is for."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.http import Http404
from django.utils import timezone

from leads.models import ActivityEvent, Contact, StageChange


def contacts_for_user(*, user) -> QuerySet[Contact]:
    """The contacts this user may see: all of them with view_all_contacts, else those they own."""
    qs = Contact.objects.select_related("company", "owner")
    if not user.is_authenticated or not user.has_perm("leads.view_contact"):
        return qs.none()
    if user.has_perm("leads.view_all_contacts"):
        return qs
    return qs.filter(owner=user)


def contact_get_for_user(*, user, pk) -> Contact:
    """One contact, or 404 when it does not exist or the user may not see it."""
    try:
        return contacts_for_user(user=user).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact") from None


@dataclass(frozen=True)
class StageStay:
    stage: str
    entered_at: datetime
    left_at: datetime | None

    @property
    def duration(self) -> timedelta:
        return (self.left_at or timezone.now()) - self.entered_at


def stage_stays(*, contact: Contact) -> list[StageStay]:
    """When the contact entered each stage and how long it stayed, oldest first."""
    changes = list(
        StageChange.objects.filter(contact=contact).values_list("to_stage", "changed_at")
    )
    return [
        StageStay(
            stage=stage, entered_at=at, left_at=changes[i + 1][1] if i + 1 < len(changes) else None
        )
        for i, (stage, at) in enumerate(changes)
    ]


def contacts_attribution(*, contact_ids, at: datetime) -> dict[int, tuple[str, str, str]]:
    """For each contact, as of `at`: its source, its campaign (how it was acquired) and the
    campaign of its latest event before `at` that names one (the last campaign that touched it).
    One query; the last one is read over the contact's events newest first."""
    touch = (
        ActivityEvent.objects.filter(contact_id=OuterRef("pk"), occurred_at__lte=at)
        .filter(properties__has_key="campaign")
        .exclude(properties__campaign="")
        .order_by("-occurred_at", "-id")
        .values(value=KT("properties__campaign"))[:1]
    )
    rows = (
        Contact.objects.filter(pk__in=list(contact_ids))
        .annotate(touch=Subquery(touch))
        .values_list("pk", "source", "campaign", "touch")
    )
    return {pk: (source, campaign, (touch or "")[:200]) for pk, source, campaign, touch in rows}

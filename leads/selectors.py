"""Reads of the leads domain. Every read of a contact goes through the user it is for."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from leads.models import Contact, StageChange


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

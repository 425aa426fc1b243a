"""Reads of the leads domain. Every read of a contact or a company goes through the user it is for.

Who sees what, in one place: a user with leads.view_contact and leads.view_all_contacts
(marketing, managers, admins) sees every contact and every company; a user with
leads.view_contact only (reps) sees the contacts they own and the companies of those contacts;
anyone else sees nothing.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from leads.models import ActivityEvent, Company, Contact, StageChange


class Scope(enum.Enum):
    """How much of the contacts (and companies) a user sees."""

    NONE = "none"
    OWN = "own"  # the contacts they own, the companies of those
    ALL = "all"


def contact_scope(user) -> Scope:
    """The one rule of who sees which contacts; contacts_for_user and companies_for_user apply it."""
    if not user.is_authenticated or not user.has_perm("leads.view_contact"):
        return Scope.NONE
    if user.has_perm("leads.view_all_contacts"):
        return Scope.ALL
    return Scope.OWN


def contacts_for_user(*, user) -> QuerySet[Contact]:
    """The contacts this user may see: all of them with view_all_contacts, else those they own."""
    qs = Contact.objects.select_related("company", "owner")
    scope = contact_scope(user)
    if scope is Scope.NONE:
        return qs.none()
    if scope is Scope.ALL:
        return qs
    return qs.filter(owner=user)


def contact_get_for_user(*, user, pk) -> Contact:
    """One contact, or 404 when it does not exist or the user may not see it."""
    try:
        return contacts_for_user(user=user).get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404("No such contact") from None


def companies_for_user(*, user) -> QuerySet[Company]:
    """The companies this user may see: every one for who sees every contact, else those with at
    least one contact the user may see (contacts_for_user). Each has `visible_contacts`: how many
    of its contacts the user may see."""
    scope = contact_scope(user)
    if scope is Scope.NONE:
        return Company.objects.none()
    visible = contacts_for_user(user=user).filter(company=OuterRef("pk"))
    per_company = visible.order_by().values("company").annotate(n=Count("pk")).values("n")
    companies = Company.objects.annotate(
        visible_contacts=Coalesce(Subquery(per_company), Value(0), output_field=IntegerField())
    )
    if scope is Scope.ALL:
        return companies
    return companies.filter(Exists(visible))


def company_get_for_user(*, user, pk) -> Company:
    """One company, or 404 when it does not exist or the user may not see it."""
    try:
        return companies_for_user(user=user).get(pk=pk)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company") from None


def company_contacts(*, user, company: Company) -> QuerySet[Contact]:
    """The company's contacts this user may see, by name."""
    return (
        contacts_for_user(user=user)
        .filter(company=company)
        .order_by("last_name", "first_name", "email", "id")
    )


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

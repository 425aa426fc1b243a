"""Writes of the leads domain: one function per use case."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from leads.exceptions import DomainError
from leads.lifecycle import Move, classify_move
from leads.models import Company, Contact, LifecycleStage, StageChange
from leads.roles import is_admin

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "seniority",
    "department",
    "phone",
    "country",
    "source",
    "campaign",
    "owner",
    "attributes",
)
COMPANY_FIELDS = ("name", "industry", "employee_count", "annual_revenue", "country", "tags")


def stage_change(
    *,
    contact: Contact,
    to_stage: str,
    reason: str,
    by=None,
    system: str = "",
    override: bool = False,
    now: datetime | None = None,
) -> StageChange:
    """The only writer of Contact.lifecycle_stage: checks the policy, moves, appends history.

    `by` is the user who asked, or `system` names the component (e.g. "scoring"). Forward moves
    that skip stages need `override`; moves back are for admins (or to nurture / disqualified).
    """
    if to_stage not in LifecycleStage.values:
        raise DomainError(f"Unknown stage {to_stage!r}.", field="to_stage")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("A reason is required for every stage change.", field="reason")
    if by is None and not system:
        raise ValueError("stage_change needs a user (by=) or a system component (system=)")
    now = now or timezone.now()

    with transaction.atomic():
        locked = (
            Contact.objects.select_for_update().only("id", "lifecycle_stage").get(pk=contact.pk)
        )
        from_stage = locked.lifecycle_stage
        if from_stage == to_stage:
            raise DomainError(f"The contact is already in stage {to_stage}.", field="to_stage")
        move = classify_move(from_stage, to_stage)
        if move == Move.SKIP and not override:
            raise DomainError(
                f"Moving from {from_stage} to {to_stage} skips stages; "
                "set override with a reason to do it anyway.",
                field="override",
            )
        if move == Move.BACK and not (by is not None and is_admin(by)):
            raise DomainError(
                f"Moving back from {from_stage} to {to_stage} is allowed only to nurture or "
                "disqualified, or by an admin.",
                field="to_stage",
            )
        Contact.objects.filter(pk=contact.pk).update(
            lifecycle_stage=to_stage, stage_entered_at=now, updated_at=now
        )
        change = StageChange.objects.create(
            contact_id=contact.pk,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_at=now,
            actor_user=by,
            actor_system="" if by is not None else system,
            reason=reason,
            override=override and move == Move.SKIP,
        )
    contact.lifecycle_stage, contact.stage_entered_at, contact.updated_at = to_stage, now, now
    return change


def company_upsert(*, domain: str, data: dict) -> Company:
    """Find a company by domain (case-insensitive) and update the given fields, or create it."""
    domain = domain.strip().lower()
    values = {k: v for k, v in data.items() if k in COMPANY_FIELDS}
    company = Company.objects.filter(domain__iexact=domain).first() if domain else None
    if company is None:
        if not values.get("name"):
            values["name"] = domain
        return Company.objects.create(domain=domain, **values)
    changed = [k for k, v in values.items() if getattr(company, k) != v]
    for field in changed:
        setattr(company, field, values[field])
    if changed:
        company.save(update_fields=[*changed, "updated_at"])
    return company


def contact_create(
    *,
    email: str,
    data: dict,
    stage: str = LifecycleStage.LEAD,
    by=None,
    system: str = "",
    reason: str = "Created",
    now: datetime | None = None,
) -> Contact:
    """Create a contact and its first history row (from nothing to its initial stage)."""
    now = now or timezone.now()
    with transaction.atomic():
        contact = Contact.objects.create(
            email=email.strip().lower(),
            lifecycle_stage=stage,
            stage_entered_at=now,
            **{k: v for k, v in data.items() if k in CONTACT_FIELDS or k == "company"},
        )
        StageChange.objects.create(
            contact=contact,
            from_stage="",
            to_stage=stage,
            changed_at=now,
            actor_user=by,
            actor_system="" if by is not None else (system or "api"),
            reason=reason,
        )
    return contact


def first_stage_changes_create(
    *, contact_ids, stage: str, by=None, system: str, reason: str, now: datetime
) -> None:
    """The first history row (from nothing to `stage`) of contacts created in bulk."""
    StageChange.objects.bulk_create(
        StageChange(
            contact_id=pk,
            from_stage="",
            to_stage=stage,
            changed_at=now,
            actor_user=by,
            actor_system="" if by is not None else system,
            reason=reason,
        )
        for pk in contact_ids
    )


def contact_update(*, contact: Contact, data: dict) -> Contact:
    """Change a contact's own fields (never its stage: that is stage_change's)."""
    changed = [
        k
        for k, v in data.items()
        if k in CONTACT_FIELDS + ("company",) and getattr(contact, k) != v
    ]
    for field in changed:
        setattr(contact, field, data[field])
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    return contact


def contact_upsert(
    *, email: str, data: dict, company: dict | None = None, by=None, system: str = ""
) -> tuple[Contact, bool]:
    """Create or update a contact by email (case-insensitive); a nested company is matched by domain."""
    with transaction.atomic():
        if company is not None:
            data = {
                **data,
                "company": company_upsert(domain=company.get("domain", ""), data=company),
            }
        existing = Contact.objects.select_for_update().filter(email__iexact=email.strip()).first()
        if existing is not None:
            return contact_update(contact=existing, data=data), False
        return contact_create(email=email, data=data, by=by, system=system), True

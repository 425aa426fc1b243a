"""Writes of the leads domain: one function per use case."""

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.exceptions import DomainError
from core.roles import is_admin
from leads import hooks
from leads.lifecycle import Move, classify_move
from leads.models import Company, Contact, LifecycleStage, StageChange

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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


def _email_clean(email: str) -> str:
    return email.strip().lower()


def _domain_clean(domain: str) -> str:
    return domain.strip().lower()


def _move_refusal(
    from_stage: str, to_stage: str, move: str, *, by: "User | None", override: bool
) -> DomainError | None:
    """Why the lifecycle policy refuses this move (None when it is allowed)."""
    if move == Move.SKIP and not override:
        return DomainError(
            f"Moving from {from_stage} to {to_stage} skips stages; "
            "set override with a reason to do it anyway.",
            field="override",
        )
    if move == Move.BACK and not (by is not None and is_admin(by)):
        return DomainError(
            f"Moving back from {from_stage} to {to_stage} is allowed only to nurture or "
            "disqualified, or by an admin.",
            field="to_stage",
        )
    return None


def stage_change(
    *,
    contact: Contact,
    to_stage: str,
    reason: str,
    by: "User | None" = None,
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
        refusal = _move_refusal(from_stage, to_stage, move, by=by, override=override)
        if refusal is not None:
            raise refusal
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
        hooks.stage_changed(changes=[change], now=now)
    contact.lifecycle_stage, contact.stage_entered_at, contact.updated_at = to_stage, now, now
    return change


def stage_change_bulk(
    *,
    contact_ids: Iterable[int],
    to_stage: str,
    system: str,
    reasons: Mapping[int, str],
    from_stages: Collection[str],
    override: bool = False,
    now: datetime | None = None,
) -> list[StageChange]:
    """Move many contacts at once for a system component (e.g. scoring): the bulk stage_change.

    Only contacts currently in one of `from_stages` move, and only where the lifecycle policy
    (the same classify_move / _move_refusal as stage_change, without a user: never back) allows
    the move; `override` allows skips. One UPDATE guarded on the from-stage moves them, one bulk
    INSERT writes their history rows; returns the rows written (contacts that did not move have
    none). The rows are locked in id order first, so concurrent callers do not deadlock.
    """
    if to_stage not in LifecycleStage.values:
        raise DomainError(f"Unknown stage {to_stage!r}.", field="to_stage")
    if not system:
        raise ValueError("stage_change_bulk is for system components: name one (system=)")
    allowed = [
        stage
        for stage in from_stages
        if stage != to_stage
        and _move_refusal(
            stage, to_stage, classify_move(stage, to_stage), by=None, override=override
        )
        is None
    ]
    ids = sorted({int(pk) for pk in contact_ids})
    if not ids or not allowed:
        return []
    now = now or timezone.now()
    with transaction.atomic():
        locked = list(
            Contact.objects.select_for_update()
            .filter(pk__in=ids, lifecycle_stage__in=allowed)
            .order_by("pk")
            .values_list("pk", "lifecycle_stage")
        )
        if not locked:
            return []
        moved = Contact.objects.filter(
            pk__in=[pk for pk, _ in locked], lifecycle_stage__in=allowed
        ).update(lifecycle_stage=to_stage, stage_entered_at=now, updated_at=now)
        if moved != len(locked):  # pragma: no cover - the rows are locked
            raise RuntimeError("stage_change_bulk: contacts changed under the lock")
        changes = StageChange.objects.bulk_create(
            StageChange(
                contact_id=pk,
                from_stage=from_stage,
                to_stage=to_stage,
                changed_at=now,
                actor_system=system,
                reason=(reasons.get(pk) or f"Moved by {system}").strip(),
                override=override and classify_move(from_stage, to_stage) == Move.SKIP,
            )
            for pk, from_stage in locked
        )
        hooks.stage_changed(changes=changes, now=now)
        return changes


def company_upsert(*, domain: str, data: dict) -> Company:
    """Find a company by domain (case-insensitive) and update the given fields, or create it."""
    domain = _domain_clean(domain)
    values = {field: value for field, value in data.items() if field in COMPANY_FIELDS}
    company = Company.objects.filter(domain__iexact=domain).first() if domain else None
    if company is None:
        if not values.get("name"):
            values["name"] = domain
        return Company.objects.create(domain=domain, **values)
    return company_update(company=company, data=values)


def company_update(*, company: Company, data: dict) -> Company:
    """Change a company's fields (its domain too; company_upsert matches by it) and queue the
    rescore of its contacts when something changed."""
    values = {
        field: value for field, value in data.items() if field in COMPANY_FIELDS + ("domain",)
    }
    if "domain" in values:
        values["domain"] = _domain_clean(values["domain"])
    changed = [field for field, value in values.items() if getattr(company, field) != value]
    for field in changed:
        setattr(company, field, values[field])
    if changed:
        company.save(update_fields=[*changed, "updated_at"])
        hooks.contacts_changed(
            contact_ids=Contact.objects.filter(company=company).values_list("pk", flat=True)
        )
    return company


def contact_create(
    *,
    email: str,
    data: dict,
    stage: str = LifecycleStage.LEAD,
    by: "User | None" = None,
    system: str = "",
    reason: str = "Created",
    now: datetime | None = None,
) -> Contact:
    """Create a contact and its first history row (from nothing to its initial stage)."""
    now = now or timezone.now()
    with transaction.atomic():
        contact = Contact.objects.create(
            email=_email_clean(email),
            lifecycle_stage=stage,
            stage_entered_at=now,
            **{
                field: value
                for field, value in data.items()
                if field in CONTACT_FIELDS or field == "company"
            },
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
        hooks.contacts_changed(contact_ids=[contact.pk])
    return contact


def first_stage_changes_create(
    *,
    contact_ids: Iterable[int],
    stage: str,
    by: "User | None" = None,
    system: str,
    reason: str,
    now: datetime,
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
    """Change a contact's own fields, company or email (never its stage: that is stage_change's)
    and queue its rescore when something changed."""
    values = {
        field: value
        for field, value in data.items()
        if field in CONTACT_FIELDS + ("company", "email")
    }
    if "email" in values:
        values["email"] = _email_clean(values["email"])
    changed = [field for field, value in values.items() if getattr(contact, field) != value]
    for field in changed:
        setattr(contact, field, values[field])
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
        hooks.contacts_changed(contact_ids=[contact.pk])
    return contact


def contact_upsert(
    *,
    email: str,
    data: dict,
    company: dict | None = None,
    by: "User | None" = None,
    system: str = "",
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

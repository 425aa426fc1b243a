"""Writes of insights: deals and campaign spend. One writer each, used by the API, the pages and
the CSV imports alike.

Deals (deal_upsert, deal_update):
- A deal with an `external_id` is matched by (`source`, `external_id`): the same payload sent
  twice is one deal, the second call reports UNCHANGED. Without an external id a call creates a
  new deal every time.
- The amount is not negative and in the organisation's one currency
  (settings.LEADBRIDGE_CURRENCY); another currency is refused, never converted.
- Stage `open`, `won` or `lost`. A won or lost deal has a `closed_at`: when it is not given, the
  moment the deal is recorded as closed (`now`); a deal staying won or lost keeps its stored one.
  An open deal has none (given one, it is refused). `lost_reason` is kept only on lost deals.
- A new deal's `created_at` defaults to `now`, or to its `closed_at` when it arrives already
  closed (a deal never closes before it was created); its company defaults to the contact's.
- The contact's stage follows, through leads' one stage writer (actor "deals", the deal in the
  reason), forward only, never back: a deal created (or given to another contact) that is not
  lost moves the contact to `opportunity`; a deal that becomes won moves it to `customer`. A lost
  deal moves nothing. The moves are dated when the deal is recorded (`now`), as every stage
  change is; the deal carries its own created and closed dates.
- Everything happens in one transaction: a refused stage move leaves no deal behind.

Campaign spend (spend_upsert, spend_update, spend_delete): one row per (campaign, channel,
month); the month is stored as its first day.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.exceptions import ConflictError, DomainError
from core.text import text_problem
from insights.models import CampaignSpend, Deal, DealStage, organisation_currency
from leads.imports.validation import EARLIEST_EVENT, FUTURE_TOLERANCE
from leads.lifecycle import Move, classify_move
from leads.models import Company, Contact, LifecycleStage, StageChange
from leads.services import stage_change

DEALS_ACTOR = "deals"  # StageChange.actor_system of the moves a deal makes
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
AMOUNT_MAX = Decimal(10) ** 12  # max_digits=14, decimal_places=2
DEAL_FIELDS = (
    "contact",
    "company",
    "name",
    "amount",
    "currency",
    "stage",
    "created_at",
    "closed_at",
    "lost_reason",
)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class DealWrite:
    """What a deal write did: the deal, created / updated / unchanged, the stage moves."""

    deal: Deal
    outcome: str
    stage_changes: list[StageChange] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.outcome == CREATED


# --- values -------------------------------------------------------------------------------------


def amount_clean(value, *, field_name: str = "amount") -> Decimal:
    """An amount of money: a number (or its text, with , or _ or spaces as thousands separators)
    of at most 2 decimals, not negative, below 10^12."""
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("_", "").replace(" ", "")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError(f"{value!r} is not an amount.", field=field_name) from None
    if not amount.is_finite():
        raise DomainError(f"{value!r} is not an amount.", field=field_name)
    if amount < 0:
        raise DomainError("An amount cannot be negative.", field=field_name)
    if amount >= AMOUNT_MAX:
        raise DomainError(f"An amount must be below {AMOUNT_MAX:,}.", field=field_name)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError("An amount has at most 2 decimals.", field=field_name)
    return amount.quantize(Decimal("0.01"))


def currency_clean(value: str | None) -> str:
    """The organisation's currency; anything else is refused (amounts are never converted)."""
    currency = organisation_currency()
    if value in (None, ""):
        return currency
    if str(value).strip().upper() != currency:
        raise DomainError(
            f"Amounts are in {currency}, the organisation's currency; "
            f"convert the amount and send {currency}, not {str(value)[:10]!r}.",
            field="currency",
        )
    return currency


def month_clean(value, *, field_name: str = "month") -> date:
    """A month as YYYY-MM, or any date in it (a date or YYYY-MM-DD): the month's first day."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip()
    parsed = None
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 1:
            parsed = date(year, month, 1)
    else:
        try:
            parsed = parse_date(text)
        except ValueError:
            parsed = None
    if parsed is None:
        raise DomainError(
            f"{text[:20]!r} is not a month; use YYYY-MM (e.g. 2026-03) or a date.",
            field=field_name,
        )
    return parsed.replace(day=1)


def datetime_clean(value, *, field_name: str, now: datetime) -> datetime | None:
    """A date and time (a naive one, or a date alone, in the current time zone) between
    EARLIEST_EVENT and a few minutes after `now` (the rule of event times), or None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None and (day := parse_date(text)) is not None:
                parsed = datetime(day.year, day.month, day.day)
        except ValueError:
            parsed = None
        if parsed is None:
            raise DomainError(
                f"{text[:40]!r} is not a date and time; use ISO 8601, e.g. 2026-03-01 or "
                "2026-03-01T12:00:00Z.",
                field=field_name,
            )
    try:
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        too_early, too_late = parsed < EARLIEST_EVENT, parsed > now + FUTURE_TOLERANCE
    except (OverflowError, ValueError):
        raise DomainError("This date and time is out of range.", field=field_name) from None
    if too_early:
        raise DomainError(
            f"Is before {EARLIEST_EVENT:%Y-%m-%d}, the earliest date accepted.", field=field_name
        )
    if too_late:
        raise DomainError("Is more than 5 minutes in the future.", field=field_name)
    return parsed


def _text_clean(value, *, field_name: str, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError("This field is required.", field=field_name)
    if problem := text_problem(text):
        raise DomainError(problem, field=field_name)
    if len(text) > max_length:
        raise DomainError(f"At most {max_length} characters.", field=field_name)
    return text


def money(amount: Decimal) -> str:
    """12000 → "12,000 USD"; 12000.5 → "12,000.50 USD"."""
    places = ".0f" if amount == amount.to_integral_value() else ".2f"
    return f"{amount:,{places}} {organisation_currency()}"


# --- deals --------------------------------------------------------------------------------------


def deal_upsert(
    *,
    data: dict,
    source: str = "",
    external_id: str = "",
    now: datetime | None = None,
) -> DealWrite:
    """Create a deal, or update the one with this (source, external_id); see the module rules.

    `data` holds the deal's fields (DEAL_FIELDS: contact and company as model instances); a
    new deal needs contact, name and amount. Refusals are DomainError naming the field.
    """
    now = now or timezone.now()
    source = _text_clean(source, field_name="source", max_length=100)
    external_id = _text_clean(external_id, field_name="external_id", max_length=200)
    with transaction.atomic():
        existing = None
        if external_id:
            existing = (
                Deal.objects.select_for_update()
                .filter(source=source, external_id=external_id)
                .first()
            )
        if existing is not None:
            return _deal_write(deal=existing, data=data, now=now)
        deal = Deal(source=source, external_id=external_id)
        try:
            with transaction.atomic():
                return _deal_write(deal=deal, data=data, now=now)
        except IntegrityError:
            if external_id and Deal.objects.filter(source=source, external_id=external_id).exists():
                raise ConflictError(
                    "Another request created this deal (same source and external_id) at the "
                    "same moment; send it again."
                ) from None
            raise


def deal_update(*, deal: Deal, data: dict, now: datetime | None = None) -> DealWrite:
    """Change some fields of a deal (PATCH); the same rules and stage moves as deal_upsert."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Deal.objects.select_for_update().get(pk=deal.pk)
        return _deal_write(deal=locked, data=data, now=now)


def _deal_write(*, deal: Deal, data: dict, now: datetime) -> DealWrite:
    """Validate `data` over the deal's current values, save what changed, move the stage."""
    new = deal.pk is None
    unknown = set(data) - set(DEAL_FIELDS)
    if unknown:
        raise ValueError(f"deal fields unknown: {sorted(unknown)}")
    before = {name: getattr(deal, f"{name}_id" if name in ("contact", "company") else name)
              for name in DEAL_FIELDS} if not new else {}  # fmt: skip
    was_stage = deal.stage if not new else None
    was_contact_id = deal.contact_id if not new else None

    if "contact" in data or new:
        contact = data.get("contact")
        if not isinstance(contact, Contact):
            raise DomainError("A deal belongs to a contact: name one.", field="contact")
        deal.contact = contact
    if "company" in data:
        company = data["company"]
        if company is not None and not isinstance(company, Company):
            raise DomainError("No such company.", field="company")
        deal.company = company
    elif new:
        deal.company_id = deal.contact.company_id
    if "name" in data or new:
        deal.name = _text_clean(data.get("name"), field_name="name", max_length=200, required=True)
    if "amount" in data or new:
        if data.get("amount") in (None, ""):
            raise DomainError("This field is required.", field="amount")
        deal.amount = amount_clean(data["amount"])
    if "currency" in data or new:
        deal.currency = currency_clean(data.get("currency"))
    if "stage" in data or new:
        stage = data.get("stage") or DealStage.OPEN
        if stage not in DealStage.values:
            raise DomainError(
                f"Unknown stage {str(stage)[:20]!r}; use one of: {', '.join(DealStage.values)}.",
                field="stage",
            )
        deal.stage = stage
    closed_given = datetime_clean(data.get("closed_at"), field_name="closed_at", now=now)
    if "created_at" in data or new:
        created = datetime_clean(data.get("created_at"), field_name="created_at", now=now)
        if created is None and new:
            # Not given: now, or the close date when the deal arrives already closed.
            created = min(now, closed_given) if closed_given is not None else now
        deal.created_at = created or deal.created_at
    if "lost_reason" in data:
        deal.lost_reason = _text_clean(
            data["lost_reason"], field_name="lost_reason", max_length=200
        )
    if deal.stage == DealStage.OPEN:
        if closed_given is not None:
            raise DomainError(
                "An open deal has no close date: set stage to won or lost, or leave closed_at out.",
                field="closed_at",
            )
        deal.closed_at = None
        deal.lost_reason = ""
    else:
        if closed_given is not None:
            deal.closed_at = closed_given
        elif was_stage != deal.stage or deal.closed_at is None:
            deal.closed_at = now  # closed now: when it is recorded as won or lost
        if deal.stage == DealStage.WON:
            deal.lost_reason = ""
    if deal.closed_at is not None and deal.closed_at < deal.created_at:
        raise DomainError("A deal cannot close before it was created.", field="closed_at")

    if new:
        deal.save()
        outcome = CREATED
    else:
        changed = [
            name
            for name in DEAL_FIELDS
            if before[name]
            != getattr(deal, f"{name}_id" if name in ("contact", "company") else name)
        ]
        if not changed:
            return DealWrite(deal=deal, outcome=UNCHANGED)
        deal.save(update_fields=[*changed, "updated_at"])
        outcome = UPDATED
    changes = _deal_stage_moves(
        deal=deal,
        contact_is_new=deal.contact_id != was_contact_id,
        became_won=deal.stage == DealStage.WON and was_stage != DealStage.WON,
        now=now,
    )
    return DealWrite(deal=deal, outcome=outcome, stage_changes=changes)


def _deal_stage_moves(
    *, deal: Deal, contact_is_new: bool, became_won: bool, now: datetime
) -> list[StageChange]:
    """Move the deal's contact forward: to opportunity for a deal it newly has (not lost), to
    customer for a deal that became won; never back, never for a lost deal."""
    wanted = []
    if contact_is_new and deal.stage != DealStage.LOST:
        wanted.append((LifecycleStage.OPPORTUNITY, f"Deal {deal.name!r} created ({money(deal.amount)})"))  # fmt: skip
    if deal.stage == DealStage.WON and (became_won or contact_is_new):
        wanted.append((LifecycleStage.CUSTOMER, f"Deal {deal.name!r} won ({money(deal.amount)})"))
    changes = []
    for to_stage, reason in wanted:
        current = (
            Contact.objects.select_for_update()
            .values_list("lifecycle_stage", flat=True)
            .get(pk=deal.contact_id)
        )
        if current == to_stage or classify_move(current, to_stage) not in (Move.FORWARD, Move.SKIP):
            continue  # already there or further: never pulled back
        changes.append(
            stage_change(
                contact=deal.contact,
                to_stage=to_stage,
                reason=reason,
                system=DEALS_ACTOR,
                override=True,  # a deal is the evidence for skipping stages
                now=now,
            )
        )
    return changes


# --- campaign spend -----------------------------------------------------------------------------


def _spend_values(*, campaign, channel, month, amount) -> dict:
    return {
        "campaign": _text_clean(campaign, field_name="campaign", max_length=200, required=True),
        "channel": _text_clean(channel, field_name="channel", max_length=100, required=True),
        "month": month_clean(month),
        "amount": amount_clean(amount),
    }


def spend_upsert(*, campaign: str, channel: str, month, amount) -> tuple[CampaignSpend, str]:
    """Set what a campaign cost on a channel in a month (YYYY-MM or a date in it): create the
    row or change its amount; (row, created / updated / unchanged)."""
    values = _spend_values(campaign=campaign, channel=channel, month=month, amount=amount)
    key = {name: values[name] for name in ("campaign", "channel", "month")}
    with transaction.atomic():
        spend = CampaignSpend.objects.select_for_update().filter(**key).first()
        if spend is None:
            try:
                with transaction.atomic():
                    return CampaignSpend.objects.create(**values), CREATED
            except IntegrityError:
                raise ConflictError(
                    "Another request recorded this campaign's spend for this month at the same "
                    "moment; send it again."
                ) from None
        if spend.amount == values["amount"]:
            return spend, UNCHANGED
        spend.amount = values["amount"]
        spend.save(update_fields=["amount", "updated_at"])
        return spend, UPDATED


def spend_update(*, spend: CampaignSpend, data: dict) -> CampaignSpend:
    """Change a spend row's campaign, channel, month or amount (PATCH, the edit form)."""
    current = {name: getattr(spend, name) for name in ("campaign", "channel", "month", "amount")}
    values = _spend_values(**(current | {k: v for k, v in data.items() if k in current}))
    changed = [name for name, value in values.items() if current[name] != value]
    if not changed:
        return spend
    key = {name: values[name] for name in ("campaign", "channel", "month")}
    with transaction.atomic():
        clash = CampaignSpend.objects.filter(**key).exclude(pk=spend.pk).first()
        if clash is not None:
            raise DomainError(
                f"{values['campaign']} on {values['channel']} already has a spend for "
                f"{values['month']:%Y-%m}; change that one instead.",
                field="month",
            )
        for name in changed:
            setattr(spend, name, values[name])
        try:
            with transaction.atomic():
                spend.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise ConflictError("Another request changed this spend; send it again.") from None
    return spend


def spend_delete(*, spend: CampaignSpend) -> None:
    CampaignSpend.objects.filter(pk=spend.pk).delete()

"""Reads of insights' deals and campaign spend, for a user.

Deals: whoever may see a contact sees its deals (leads.selectors.contacts_for_user: marketers,
managers and admins every contact's, a rep those of the contacts they own). Campaign spend:
roles with insights.view_campaignspend (marketers, admins).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from insights.models import CampaignSpend, Deal, DealStage
from leads.models import Company, Contact
from leads.selectors import Scope, contact_scope, contacts_for_user


def deals_for_user(*, user) -> QuerySet[Deal]:
    """The deals of the contacts this user may see."""
    deals = Deal.objects.select_related("contact", "company")
    if contact_scope(user) is Scope.ALL:
        return deals  # every contact: no need to join them
    return deals.filter(contact__in=contacts_for_user(user=user).values("pk"))


def deal_get_for_user(*, user, pk) -> Deal:
    """One deal, or 404 when it does not exist or the user may not see its contact."""
    try:
        return deals_for_user(user=user).get(pk=pk)
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal") from None


DEALS_SHOWN = 100  # the newest deals a page lists; the count and totals cover all of them


@dataclass(frozen=True)
class DealsListed:
    deals: list[Deal]  # newest first, at most DEALS_SHOWN
    count: int
    won: Decimal
    open: Decimal  # the open pipeline

    @property
    def truncated(self) -> bool:
        return self.count > len(self.deals)


def deals_listed(
    *, user, contact: Contact | None = None, company: Company | None = None
) -> DealsListed:
    """The deals of a contact (Deal.contact) or of a company (Deal.company) that the user may
    see, newest first, with how many there are and the totals won and open. For a contact or a
    company the user may see (the page checked that); a rep gets the deals of their own contacts.
    Two queries at most: the totals are summed from the list unless it was cut."""
    if (contact is None) == (company is None):
        raise ValueError("deals_listed: give a contact or a company")
    where = {"contact": contact} if contact is not None else {"company": company}
    deals_qs = deals_for_user(user=user).filter(**where)
    deals = list(deals_qs.order_by("-created_at", "-id")[: DEALS_SHOWN + 1])
    if len(deals) <= DEALS_SHOWN:
        return DealsListed(
            deals=deals,
            count=len(deals),
            won=sum((d.amount for d in deals if d.stage == DealStage.WON), Decimal(0)),
            open=sum((d.amount for d in deals if d.stage == DealStage.OPEN), Decimal(0)),
        )
    totals = deals_qs.aggregate(
        count=Count("pk"),
        won=Sum("amount", filter=Q(stage=DealStage.WON)),
        open=Sum("amount", filter=Q(stage=DealStage.OPEN)),
    )
    return DealsListed(
        deals=deals[:DEALS_SHOWN],
        count=totals["count"],
        won=totals["won"] or Decimal(0),
        open=totals["open"] or Decimal(0),
    )


def spend_for_user(*, user) -> QuerySet[CampaignSpend]:
    """Campaign spend rows, newest month first; nothing without insights.view_campaignspend."""
    if not user.is_authenticated or not user.has_perm("insights.view_campaignspend"):
        return CampaignSpend.objects.none()
    return CampaignSpend.objects.order_by("-month", "campaign", "channel", "id")


def spend_get_for_user(*, user, pk) -> CampaignSpend:
    try:
        return spend_for_user(user=user).get(pk=pk)
    except (CampaignSpend.DoesNotExist, ValueError, TypeError):
        raise Http404("No such campaign spend") from None


def spend_total(spend: QuerySet[CampaignSpend]):
    """The sum of these rows' amounts (0 for none)."""
    return spend.aggregate(total=Sum("amount"))["total"] or 0

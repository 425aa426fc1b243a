"""Reads of insights' deals and campaign spend, for a user.

Deals: whoever may see a contact sees its deals (leads.selectors.contacts_for_user: marketers,
managers and admins every contact's, a rep those of the contacts they own). Campaign spend:
roles with insights.view_campaignspend (marketers, admins).
"""

from django.db.models import QuerySet, Sum
from django.http import Http404

from insights.models import CampaignSpend, Deal
from leads.models import Contact
from leads.selectors import contacts_for_user


def deals_for_user(*, user) -> QuerySet[Deal]:
    """The deals of the contacts this user may see."""
    visible = contacts_for_user(user=user)
    deals = Deal.objects.select_related("contact", "company")
    if not visible.query.where:
        return deals  # every contact: no need to join them
    return deals.filter(contact__in=visible.values("pk"))


def deal_get_for_user(*, user, pk) -> Deal:
    """One deal, or 404 when it does not exist or the user may not see its contact."""
    try:
        return deals_for_user(user=user).get(pk=pk)
    except (Deal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such deal") from None


def contact_deals(*, user, contact: Contact) -> list[Deal]:
    """A contact's deals, newest first, for a user who may see the contact."""
    return list(deals_for_user(user=user).filter(contact=contact).order_by("-created_at", "-id"))


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

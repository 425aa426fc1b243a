"""The deals panel of the contact page (leads.hooks.contact_page_panels)."""

from dataclasses import dataclass
from decimal import Decimal

from core.hooks import Panel
from insights.models import Deal, DealStage, organisation_currency
from insights.selectors import contact_deals
from leads.models import Contact


@dataclass(frozen=True)
class DealsPanel:
    deals: list[Deal]
    currency: str
    won: Decimal
    open: Decimal
    can_import: bool


def deals_panel_for_page(*, user, contact: Contact) -> Panel | None:
    """The contact's deals, for whoever may see the contact (the page checked that)."""
    deals = contact_deals(user=user, contact=contact)
    return Panel(
        template="insights/partials/deals_panel.html",
        context=DealsPanel(
            deals=deals,
            currency=organisation_currency(),
            won=sum((d.amount for d in deals if d.stage == DealStage.WON), Decimal(0)),
            open=sum((d.amount for d in deals if d.stage == DealStage.OPEN), Decimal(0)),
            can_import=user.has_perm("insights.add_deal"),
        ),
    )

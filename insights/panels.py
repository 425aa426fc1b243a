"""The deals panel of the contact page (leads.hooks.contact_page_panels) and of the company page
(leads.hooks.company_page_panels): one selector, one template, for both."""

from dataclasses import dataclass

from core.hooks import Panel
from insights.models import organisation_currency
from insights.selectors import DealsListed, deals_listed
from leads.models import Company, Contact

TEMPLATE = "insights/partials/deals_panel.html"


@dataclass(frozen=True)
class DealsPanel:
    listed: DealsListed
    of: str  # "contact" or "company": whose deals (the table names the other)
    currency: str
    can_import: bool


def _deals_panel(*, user, of: str, listed: DealsListed) -> Panel:
    return Panel(
        template=TEMPLATE,
        context=DealsPanel(
            listed=listed,
            of=of,
            currency=organisation_currency(),
            can_import=user.has_perm("insights.add_deal"),
        ),
    )


def deals_panel_for_page(*, user, contact: Contact) -> Panel | None:
    """The contact's deals, for whoever may see the contact (the page checked that)."""
    return _deals_panel(user=user, of="contact", listed=deals_listed(user=user, contact=contact))


def company_deals_panel_for_page(*, user, company: Company) -> Panel | None:
    """The company's deals (Deal.company) whose contacts the user may see."""
    return _deals_panel(user=user, of="company", listed=deals_listed(user=user, company=company))

"""CSV imports of deals and campaign spend, through leads' import machinery (leads.imports.kinds:
the upload and mapping pages, the job and its progress, the rejected-rows report). Each row is
written by the one writer (insights.services), so a CSV row obeys exactly the API's rules.

Deals: one row per deal, matched by (source, external_id): importing a file again updates the
same deals (unchanged when nothing differs), never duplicates them, so external_id is required.
The contact is named by email (an existing contact the importer may see). An empty cell is
"not given": a new deal takes the default (stage open, created now, the contact's company), a
known one keeps its value.

Campaign spend: one row per campaign, channel and month; importing again replaces the amounts.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from core.exceptions import DomainError
from insights import services
from insights.models import DealStage
from leads.imports.kinds import ImportKind
from leads.models import Company, Contact
from leads.selectors import contacts_for_user

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEAL_TARGETS = {
    "external_id": "External id (the deal's id in the CRM)",
    "source": "Source (the CRM's name)",
    "name": "Deal name",
    "contact_email": "Contact email",
    "amount": "Amount",
    "currency": "Currency",
    "stage": "Stage (open, won, lost)",
    "created_at": "Created (date or date and time)",
    "closed_at": "Closed (date or date and time)",
    "lost_reason": "Lost reason",
    "company_domain": "Company domain (default: the contact's company)",
}
DEAL_REQUIRED = ("external_id", "name", "contact_email", "amount")
# Stage spellings CRMs export, lower case.
_STAGES = {value: value for value in DealStage.values} | {
    "closed won": DealStage.WON,
    "closed-won": DealStage.WON,
    "closedwon": DealStage.WON,
    "closed lost": DealStage.LOST,
    "closed-lost": DealStage.LOST,
    "closedlost": DealStage.LOST,
}
SPEND_TARGETS = {
    "campaign": "Campaign",
    "channel": "Channel (the contacts' source)",
    "month": "Month (YYYY-MM or a date in it)",
    "amount": "Amount",
}


def deal_row_import(*, values: dict[str, str], by: "User | None", now: datetime) -> str:
    """One row of a deals CSV: created, updated or unchanged (DomainError naming the field)."""
    email = values["contact_email"]
    contacts = contacts_for_user(user=by) if by is not None else Contact.objects.all()
    contact = contacts.filter(email__iexact=email).first()
    if contact is None:
        raise DomainError(f"no contact with the email {email!r}", field="contact_email")
    data: dict = {"contact": contact, "name": values["name"], "amount": values["amount"]}
    for name in ("currency", "created_at", "closed_at", "lost_reason"):
        if name in values:
            data[name] = values[name]
    if "stage" in values:
        stage = _STAGES.get(values["stage"].lower())
        if stage is None:
            raise DomainError(
                f"unknown stage {values['stage']!r}; use open, won or lost", field="stage"
            )
        data["stage"] = stage
    if "company_domain" in values:
        company = Company.objects.filter(domain__iexact=values["company_domain"]).first()
        if company is None:
            raise DomainError(
                f"no company with the domain {values['company_domain']!r}", field="company_domain"
            )
        data["company"] = company
    written = services.deal_upsert(
        data=data,
        source=values.get("source", ""),
        external_id=values["external_id"],
        now=now,
    )
    return written.outcome


def spend_row_import(*, values: dict[str, str], by: "User | None", now: datetime) -> str:
    """One row of a campaign spend CSV: created, updated or unchanged."""
    _spend, outcome = services.spend_upsert(**values)
    return outcome


def deals_import_kind() -> ImportKind:
    return ImportKind(
        name="deals",
        label="Deals",
        permission="insights.add_deal",
        targets=DEAL_TARGETS,
        required=DEAL_REQUIRED,
        row_import=deal_row_import,
        matched_by="Deals are matched by source and external id: importing a file again updates "
        "the same deals, never duplicates them. Each names its contact by email; a new open or "
        "won deal moves its contact forward (opportunity, customer).",
        aliases={
            "external_id": {"id", "dealid", "crmid", "opportunityid", "externalid"},
            "source": {"crm", "system"},
            "name": {"dealname", "opportunity", "opportunityname", "deal"},
            "contact_email": {"email", "contact", "emailaddress"},
            "amount": {"value", "dealvalue", "dealamount"},
            "stage": {"status", "dealstage"},
            "created_at": {"created", "createddate", "createdon", "opened"},
            "closed_at": {"closed", "closedate", "closeddate", "closedon"},
            "lost_reason": {"reason", "lossreason", "closedlostreason"},
            "company_domain": {"domain", "companydomain", "website"},
        },
    )


def spend_import_kind() -> ImportKind:
    return ImportKind(
        name="campaign_spend",
        label="Campaign spend",
        permission="insights.add_campaignspend",
        targets=SPEND_TARGETS,
        required=tuple(SPEND_TARGETS),
        row_import=spend_row_import,
        matched_by="One row per campaign, channel and month: importing a file again replaces "
        "those months' amounts.",
        aliases={
            "campaign": {"campaignname", "utmcampaign"},
            "channel": {"source", "utmsource", "medium", "platform"},
            "month": {"period", "date", "monthstart"},
            "amount": {"spend", "cost", "budget"},
        },
    )

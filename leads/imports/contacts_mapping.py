"""Which field each column of a contacts CSV feeds, and what each field accepts.

A mapping is {column: target}: a contact or company field (TARGETS), ATTRIBUTE (the contact's
custom attributes, under the column's name) or SKIP. contact_row_parse turns one row into a
ContactRow with clean values, or marks it rejected with the column, field and reason.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.exceptions import DomainError
from core.spreadsheet import cell_unescape
from core.text import text_problem
from leads.imports.validation import email_parse
from leads.models import Company, Contact, Department, Seniority
from leads.services import CONTACT_FIELDS

ATTRIBUTE = "attribute"  # target: the contact's custom attributes, under the column name
SKIP = ""  # target: ignore the column

# Target fields: name → label. Contact fields come from services.CONTACT_FIELDS.
CONTACT_TARGETS = {"email": "Email"} | {
    name: Contact._meta.get_field(name).verbose_name.capitalize()
    for name in CONTACT_FIELDS
    if name != "attributes"
}
CONTACT_TARGETS["owner"] = "Owner (username)"
COMPANY_TARGETS = {
    "company_name": "Company name",
    "company_domain": "Company domain",
    "industry": "Company industry",
    "employee_count": "Company employee count",
    "annual_revenue": "Company annual revenue",
    "company_country": "Company country",
    "company_tags": "Company tags (comma-separated)",
}
TARGETS = CONTACT_TARGETS | COMPANY_TARGETS | {ATTRIBUTE: "Custom attribute (column name)"}
TARGET_CHOICES = [(SKIP, "— don't import —"), *TARGETS.items()]
# Company target → Company model field.
_COMPANY_FIELD = {
    "company_name": "name",
    "company_domain": "domain",
    "industry": "industry",
    "employee_count": "employee_count",
    "annual_revenue": "annual_revenue",
    "company_country": "country",
    "company_tags": "tags",
}
# Header spellings guessed for each target (lower case, letters and digits only).
_ALIASES = {
    "email": {"email", "emailaddress", "mail", "workemail", "businessemail"},
    "first_name": {"firstname", "first", "givenname", "forename"},
    "last_name": {"lastname", "last", "surname", "familyname"},
    "job_title": {"jobtitle", "title", "position"},
    "phone": {"phone", "phonenumber", "telephone", "mobile", "tel"},
    "country": {"country", "countrycode"},
    "company_name": {"company", "companyname", "organization", "organisation", "account"},
    "company_domain": {"domain", "companydomain", "website", "companywebsite", "url"},
    "employee_count": {"employeecount", "employees", "numberofemployees", "companysize"},
    "annual_revenue": {"annualrevenue", "revenue"},
    "company_tags": {"tags", "techstack", "companytags"},
}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"


def mapping_guess(*, headers: list[str]) -> dict[str, str]:
    """A first mapping from the header names; unknown columns become custom attributes."""
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = re.sub(r"[^a-z0-9]", "", header.lower())
        target = next(
            (
                name
                for name in TARGETS
                if name != ATTRIBUTE
                and name not in used
                and (key == name.replace("_", "") or key in _ALIASES.get(name, ()))
            ),
            ATTRIBUTE,
        )
        if target != ATTRIBUTE:
            used.add(target)
        guessed[header] = target
    return guessed


def mapping_validate(*, mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """The mapping for these headers, checked: known targets, each used once, email mapped."""
    unknown_columns = sorted(set(mapping) - set(headers))
    if unknown_columns:
        raise DomainError(
            f"The file has no column {unknown_columns[0]!r}; its columns are: {', '.join(headers)}.",
            field="mapping",
        )
    result = {header: mapping.get(header, SKIP) for header in headers}
    seen: dict[str, str] = {}
    for column, target in result.items():
        if target not in TARGETS and target != SKIP:
            raise DomainError(
                f"Column {column!r}: unknown field {target!r}; use one of: {', '.join(TARGETS)}.",
                field="mapping",
            )
        if target not in (SKIP, ATTRIBUTE):
            if target in seen:
                raise DomainError(
                    f"Columns {seen[target]!r} and {column!r} are both mapped to {target}.",
                    field="mapping",
                )
            seen[target] = column
    if "email" not in seen:
        raise DomainError("Map one column to email: contacts are matched by it.", field="email")
    return result


class _Reject(Exception):
    def __init__(self, column: str, target: str, reason: str):
        self.column, self.target, self.reason = column, target, reason


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        lookup[label.lower()] = value
        lookup[value.replace("_", " ")] = value
    return lookup


_CHOICES = {"seniority": _choice_lookup(Seniority), "department": _choice_lookup(Department)}
_MAX_LENGTH = {
    name: Contact._meta.get_field(name).max_length
    for name in CONTACT_TARGETS
    if name not in ("email", "owner")
} | {
    target: Company._meta.get_field(model_field).max_length
    for target, model_field in _COMPANY_FIELD.items()
    if target in ("company_name", "industry")
}
_REVENUE_MAX = Decimal(10) ** 14


def _clean(target: str, value: str, column: str):
    """One cell's value for its target field, or _Reject naming the column and field."""
    if problem := text_problem(value):
        raise _Reject(column, target, problem.rstrip(".").lower())
    if target == "email":
        email = email_parse(value)
        if email is None:
            raise _Reject(column, target, f"{value!r} is not a valid email address")
        return email
    if target in _CHOICES:
        choice = _CHOICES[target].get(value.lower())
        if choice is None:
            allowed = ", ".join(sorted({v for v in _CHOICES[target].values()}))
            raise _Reject(column, target, f"unknown value {value!r}; use one of: {allowed}")
        return choice
    if target in ("country", "company_country"):
        if not _COUNTRY.match(value):
            raise _Reject(column, target, f"{value!r} is not a two-letter country code")
        return value.upper()
    if target == "company_domain":
        domain = re.sub(r"^https?://", "", value.lower()).split("/")[0].removeprefix("www.")
        if not _DOMAIN.match(domain):
            raise _Reject(column, target, f"{value!r} is not a domain name")
        return domain
    if target == "employee_count":
        digits = value.replace(",", "").replace("_", "").replace(" ", "")
        if not digits.isdigit() or len(digits) > 9:
            raise _Reject(column, target, f"{value!r} is not a whole number of employees")
        return int(digits)
    if target == "annual_revenue":
        try:
            amount = Decimal(value.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount < _REVENUE_MAX:
            raise _Reject(column, target, f"{value!r} is not an amount")
        return amount.quantize(Decimal("0.01"))
    if target == "company_tags":
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    max_length = _MAX_LENGTH.get(target)
    if max_length and len(value) > max_length:
        raise _Reject(column, target, f"longer than {max_length} characters")
    return value


@dataclass(slots=True)
class ContactRow:
    """One row of the file: its clean values (contact fields, company fields, custom
    attributes, the owner's username) and, once written, its outcome."""

    line: int
    cells: list[str]
    email: str
    contact: dict
    company: dict
    attributes: dict
    owner: str = ""
    outcome: str = ""
    reject: tuple[str, str] | None = None  # (column/field, reason)


def contact_row_parse(
    *, line: int, cells: list[str], columns: list[tuple[int, str, str]]
) -> ContactRow:
    """One row's values by target; `columns` are (index, column name, target) of the mapped
    columns. A row that fails a check has outcome REJECTED and writes nothing."""
    row = ContactRow(line=line, cells=cells, email="", contact={}, company={}, attributes={})
    try:
        for index, column, target in columns:
            value = cell_unescape(cells[index].strip()).strip() if index < len(cells) else ""
            if not value:
                if target == "email":
                    raise _Reject(column, target, "is empty; every row needs an email")
                continue
            if target == ATTRIBUTE:
                row.attributes[column] = _clean(ATTRIBUTE, value, column)
            elif target == "owner":
                row.owner = value
            else:
                cleaned = _clean(target, value, column)
                if target == "email":
                    row.email = cleaned
                elif target in _COMPANY_FIELD:
                    row.company[_COMPANY_FIELD[target]] = cleaned
                else:
                    row.contact[target] = cleaned
    except _Reject as exc:
        row.outcome = REJECTED
        row.reject = (f"{exc.column} ({exc.target})", exc.reason)
    return row

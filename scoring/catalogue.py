"""What rules may look at: the whitelist of scorable fields, their types and the operators per type.

Field names reach SQL only through this catalogue; user values never do (see scoring.engine).
Values are normalised here once (lower-cased text, floats for numbers) so the SQL engine and the
reference evaluator compare the same things.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from core.exceptions import DomainError
from core.text import shown, text_problem
from leads.models import Department, Seniority

MAX_LIST_ITEMS = 500
MAX_TEXT = 200
ATTRIBUTE_PREFIX = "attributes."
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class FieldType(models.TextChoices):
    TEXT = "text", "Text"
    CHOICE = "choice", "Choice"
    NUMBER = "number", "Number"
    LIST = "list", "List"


class Operator(models.TextChoices):
    EQUALS = "equals", "equals"
    NOT_EQUALS = "not_equals", "does not equal"
    IN = "in", "is in list"
    NOT_IN = "not_in", "is not in list"
    CONTAINS = "contains", "contains"
    STARTS_WITH = "starts_with", "starts with"
    ENDS_WITH = "ends_with", "ends with"
    GT = "gt", "greater than"
    GTE = "gte", "at least"
    LT = "lt", "less than"
    LTE = "lte", "at most"
    BETWEEN = "between", "between (inclusive)"
    IS_EMPTY = "is_empty", "is empty"
    IS_NOT_EMPTY = "is_not_empty", "is not empty"
    EMAIL_DOMAIN_IN = "email_domain_in", "email domain is in list"


Op = Operator
TEXT_OPS = (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH)
TEXT_OPS += (Op.IS_EMPTY, Op.IS_NOT_EMPTY)
OPS_BY_TYPE = {
    FieldType.TEXT: TEXT_OPS,
    FieldType.CHOICE: (Op.EQUALS, Op.NOT_EQUALS, Op.IN, Op.NOT_IN, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
    FieldType.NUMBER: (Op.EQUALS, Op.NOT_EQUALS, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)
    + (Op.IS_EMPTY, Op.IS_NOT_EMPTY),
    # On a list: contains = has this item, in = has any of, not_in = has none of.
    FieldType.LIST: (Op.CONTAINS, Op.IN, Op.NOT_IN, Op.IS_EMPTY, Op.IS_NOT_EMPTY),
}
SCALAR_OPS = {Op.EQUALS, Op.NOT_EQUALS, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH}
SCALAR_OPS |= {Op.GT, Op.GTE, Op.LT, Op.LTE}
LIST_VALUE_OPS = {Op.IN, Op.NOT_IN, Op.EMAIL_DOMAIN_IN}
NO_VALUE_OPS = {Op.IS_EMPTY, Op.IS_NOT_EMPTY}


@dataclass(frozen=True)
class FieldDef:
    name: str  # as written in rules, e.g. "company.employee_count"
    type: FieldType
    table: str  # "contact" or "company"
    column: str  # model field / column name; never user text
    choices: tuple[str, ...] = ()
    extra_ops: tuple[Operator, ...] = ()
    attribute_key: str = ""  # for attributes.<key>

    @property
    def operators(self) -> tuple[Operator, ...]:
        return OPS_BY_TYPE[self.type] + self.extra_ops


FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        FieldDef("job_title", FieldType.TEXT, "contact", "job_title"),
        FieldDef("seniority", FieldType.CHOICE, "contact", "seniority", Seniority.values),
        FieldDef("department", FieldType.CHOICE, "contact", "department", Department.values),
        FieldDef("country", FieldType.CHOICE, "contact", "country"),
        FieldDef("source", FieldType.TEXT, "contact", "source"),
        FieldDef("campaign", FieldType.TEXT, "contact", "campaign"),
        FieldDef("email", FieldType.TEXT, "contact", "email", extra_ops=(Op.EMAIL_DOMAIN_IN,)),
        FieldDef("company.industry", FieldType.TEXT, "company", "industry"),
        FieldDef("company.employee_count", FieldType.NUMBER, "company", "employee_count"),
        FieldDef("company.annual_revenue", FieldType.NUMBER, "company", "annual_revenue"),
        FieldDef("company.country", FieldType.CHOICE, "company", "country"),
        FieldDef("company.tags", FieldType.LIST, "company", "tags"),
        FieldDef("company.domain", FieldType.TEXT, "company", "domain"),
    )
}


def field_def(name: object, *, field: str) -> FieldDef:
    """The catalogue entry for a field name, or a DomainError naming `field`."""
    if not isinstance(name, str) or not name:
        raise DomainError("Choose a field.", field=field)
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name[len(ATTRIBUTE_PREFIX) :]
        if not KEY_RE.match(key):
            raise DomainError(
                "A custom attribute name uses letters, digits and _ (up to 64).", field=field
            )
        return FieldDef(name, FieldType.TEXT, "contact", "attributes", attribute_key=key)
    if name not in FIELDS:
        raise DomainError(f"Unknown field “{shown(name[:60])}”.", field=field)
    return FIELDS[name]


def _text(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError("Enter a non-empty text value.", field=field)
    if problem := text_problem(value):
        raise DomainError(problem, field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(f"Use at most {MAX_TEXT} characters.", field=field)
    return value.strip().lower()


def _number(value: object, *, field: str) -> float:
    if isinstance(value, bool):
        raise DomainError("Enter a number.", field=field)
    try:
        number = float(Decimal(str(value).strip()))
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError("Enter a number.", field=field) from None
    if number != number or abs(number) > 1e15:
        raise DomainError("Enter a number.", field=field)
    return number


def _choice(value: object, fdef: FieldDef, *, field: str) -> str:
    text = _text(value, field=field)
    if fdef.choices and text not in fdef.choices:
        raise DomainError(f"Choose one of: {', '.join(fdef.choices)}.", field=field)
    if fdef.name.endswith("country") and not re.fullmatch(r"[a-z]{2}", text):
        raise DomainError("Use a two-letter country code.", field=field)
    return text


def _scalar(value: object, fdef: FieldDef, *, field: str):
    if fdef.type == FieldType.NUMBER:
        return _number(value, field=field)
    if fdef.type == FieldType.CHOICE:
        return _choice(value, fdef, field=field)
    return _text(value, field=field)


def normalise_value(fdef: FieldDef, operator: object, value: object, *, field: str):
    """Check `operator` fits the field's type and return the value in its normal form.

    `field` is the name errors are reported under; the operator error names `<prefix>operator`.
    """
    prefix = field[: -len("value")] if field.endswith("value") else ""
    if operator not in fdef.operators:
        allowed = ", ".join(o.value for o in fdef.operators)
        raise DomainError(
            f"Operator “{shown(str(operator)[:30])}” does not fit {fdef.name} ({fdef.type}); "
            f"use one of: {allowed}.",
            field=f"{prefix}operator",
        )
    op = Operator(operator)
    if op in NO_VALUE_OPS:
        if value not in (None, "", []):
            raise DomainError(f"“{op.label}” takes no value.", field=field)
        return None
    if op == Op.BETWEEN:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise DomainError("Enter two numbers: from and to.", field=field)
        low, high = (_number(v, field=field) for v in value)
        if low > high:
            raise DomainError("The first number must not exceed the second.", field=field)
        return [low, high]
    if op in LIST_VALUE_OPS:
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\n]", value) if v.strip()]
        if not isinstance(value, list | tuple) or not value:
            raise DomainError("Enter at least one value.", field=field)
        if len(value) > MAX_LIST_ITEMS:
            raise DomainError(f"Use at most {MAX_LIST_ITEMS} values.", field=field)
        if op == Op.EMAIL_DOMAIN_IN:
            items = [_text(v, field=field).lstrip("@") for v in value]
        elif fdef.type == FieldType.LIST:
            items = [_text(v, field=field) for v in value]
        else:
            items = [_scalar(v, fdef, field=field) for v in value]
        return sorted(set(items))
    if fdef.type == FieldType.LIST:
        return _text(value, field=field)
    return _scalar(value, fdef, field=field)

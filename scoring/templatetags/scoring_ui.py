"""Presentation helpers for the scoring pages: conditions and rules as short text."""

from django import template

from leads.models import EventType
from scoring.catalogue import NO_VALUE_OPS, Operator
from scoring.forms import field_label, value_text
from scoring.models import EngagementMode

register = template.Library()
OPERATOR_LABELS = dict(Operator.choices)
EVENT_LABELS = dict(EventType.choices)


def _get(item, name):
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


@register.filter
def field_name(name: str) -> str:
    return field_label(name or "")


@register.filter
def operator_label(operator: str) -> str:
    return OPERATOR_LABELS.get(operator, operator or "")


@register.filter
def rule_value(value) -> str:
    return value_text(value)


@register.filter
def condition_text(condition) -> str:
    """'Company employees at least 500' for a fit rule, disqualifier or segment condition."""
    operator = _get(condition, "operator")
    if operator == Operator.EMAIL_DOMAIN_IN:
        return f"{field_label(_get(condition, 'field') or '')} domain is one of {value_text(_get(condition, 'value'))}"
    parts = [field_label(_get(condition, "field") or ""), OPERATOR_LABELS.get(operator, operator)]
    if operator not in NO_VALUE_OPS:
        value = _get(condition, "value")
        if operator == Operator.BETWEEN and isinstance(value, list | tuple) and len(value) == 2:
            parts.append(f"{value_text(value[0])} and {value_text(value[1])}")
        else:
            parts.append(value_text(value))
    return " ".join(p for p in parts if p)


@register.filter
def segment_text(segment) -> str:
    if not segment:
        return "Everyone"
    return "; ".join(condition_text(c) for c in segment)


@register.filter
def event_name(value: str) -> str:
    return EVENT_LABELS.get(value, value)


@register.filter
def engagement_text(rule) -> str:
    """'Page view where url contains /pricing: 5 points each, at most 25, within 30 days…'"""
    text = EVENT_LABELS.get(_get(rule, "event_type"), _get(rule, "event_type"))
    name = _get(rule, "property_name")
    if name:
        operator = _get(rule, "property_operator")
        text += f" where {name} {OPERATOR_LABELS.get(operator, operator)}"
        if operator not in NO_VALUE_OPS:
            text += f" {value_text(_get(rule, 'property_value'))}"
    points = _get(rule, "points")
    if _get(rule, "mode") == EngagementMode.ONCE_AT_COUNT:
        text += f": {points} points once at {_get(rule, 'min_count')} or more"
    else:
        text += f": {points} points each"
        if _get(rule, "cap"):
            text += f", at most {_get(rule, 'cap')}"
    window = _get(rule, "window_days")
    text += f", within {window} days" if window else ", within the lookback"
    half_life = _get(rule, "half_life_days")
    if half_life:
        text += f", halving every {value_text(half_life)} days"
    return text


@register.filter
def rule_text(rule, kind: str) -> str:
    """One line for a rule of any kind (version pages and diffs)."""
    if kind == "engagement_rules":
        return engagement_text(rule)
    if kind == "disqualifiers":
        return f"{_get(rule, 'label')}: {condition_text(rule)}"
    points = _get(rule, "points")
    return f"{condition_text(rule)}: {'+' if points and points > 0 else ''}{points} points"


@register.filter
def setting_label(name: str) -> str:
    return {
        "lookback_days": "Lookback (days)",
        "fit_min": "Fit at least",
        "engagement_min": "Engagement at least",
        "total_min": "Or total at least",
        "grade_a_min": "Grade A from fit",
        "grade_b_min": "Grade B from fit",
        "grade_c_min": "Grade C from fit",
        "segment": "Segment",
    }.get(name, name)


@register.filter
def setting_value(value, name: str = "") -> str:
    if name == "segment":
        return segment_text(value)
    return "—" if value is None else value_text(value)


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None

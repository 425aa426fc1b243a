"""Presentation helpers for the scoring pages; the sentences come from scoring.describe."""

from django import template

from scoring import describe
from scoring.models import Disqualifier, EngagementRule, FitRule

register = template.Library()
SETTING_LABELS = {
    "lookback_days": "Lookback (days)",
    "fit_min": "Fit at least",
    "engagement_min": "Engagement at least",
    "total_min": "Or total at least",
    "grade_a_min": "Grade A from fit",
    "grade_b_min": "Grade B from fit",
    "grade_c_min": "Grade C from fit",
    "segment": "Segment",
}
ROW_KINDS = {
    FitRule: "fit_rules",
    EngagementRule: "engagement_rules",
    Disqualifier: "disqualifiers",
}


def _as_dict(rule) -> dict:
    if isinstance(rule, dict):
        return rule
    return {f.name: getattr(rule, f.name) for f in rule._meta.concrete_fields}


@register.filter
def condition_text(condition) -> str:
    """'Company employee count at least 500' for a segment condition."""
    c = _as_dict(condition)
    return describe.condition_text(c.get("field") or "", c.get("operator") or "", c.get("value"))


@register.filter
def segment_text(segment) -> str:
    if not segment:
        return "Everyone"
    return "; ".join(condition_text(c) for c in segment)


@register.filter
def rule_text(rule, kind: str = "") -> str:
    """The sentence for a rule: a draft row (its kind from its class) or a version's dict."""
    kind = kind or ROW_KINDS[type(rule)]
    lookback = rule.model.lookback_days if isinstance(rule, EngagementRule) else None
    return describe.describe_rule(kind, _as_dict(rule), lookback_days=lookback)


@register.filter
def setting_label(name: str) -> str:
    return SETTING_LABELS.get(name, name)


@register.filter
def setting_value(value, name: str = "") -> str:
    if name == "segment":
        return segment_text(value)
    return "—" if value is None else describe.number(value)


@register.filter
def points(value) -> str:
    return describe.points(value)


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None

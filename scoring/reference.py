"""A straightforward per-contact evaluator: the test oracle for scoring.engine, not used in production.

It reads one contact, its company and its events in Python and applies the same documented
semantics, so a property-based test can compare it with the generated SQL on random data.
"""

import math

from scoring.catalogue import FieldType, Operator
from scoring.engine.query import window_start
from scoring.engine.run import ContactResult
from scoring.models import EngagementMode
from scoring.spec import ModelSpec


def round2(x: float) -> float:
    """To cents, halves up, with the float operations of the engine's SQL (Dialect.round2):
    nearest billionth (half to even), plus half a cent, floor, over 100."""
    nano = float(round(x * 1e9))
    return float(math.floor((nano + 5e6) / 1e7)) / 100.0


def _field_value(contact, fdef):
    if fdef.attribute_key:
        raw = (contact.attributes or {}).get(fdef.attribute_key)
    elif fdef.table == "company":
        raw = getattr(contact.company, fdef.column) if contact.company else None
    else:
        raw = getattr(contact, fdef.column)
    return _normal(raw, fdef.type)


def _normal(raw, ftype):
    if ftype == FieldType.NUMBER:
        return None if raw is None else float(raw)
    if ftype == FieldType.LIST:
        return [str(v).lower() for v in raw] if isinstance(raw, list) else []
    return "" if raw is None else str(raw).lower()


def matches(operator: str, value, actual) -> bool:
    """Does a normalised field value satisfy a condition? Mirrors engine.query.condition_sql."""
    if isinstance(actual, list):
        return {
            Operator.CONTAINS: lambda: value in actual,
            Operator.IN: lambda: bool(set(actual) & set(value)),
            Operator.NOT_IN: lambda: not set(actual) & set(value),
            Operator.IS_EMPTY: lambda: not actual,
            Operator.IS_NOT_EMPTY: lambda: bool(actual),
        }[operator]()
    if operator == Operator.IS_EMPTY:
        return actual in (None, "")
    if operator == Operator.IS_NOT_EMPTY:
        return actual not in (None, "")
    if actual is None:  # a missing number compares as SQL NULL: false
        return False
    checks = {
        Operator.EQUALS: lambda: actual == value,
        Operator.NOT_EQUALS: lambda: actual != value,
        Operator.IN: lambda: actual in value,
        Operator.NOT_IN: lambda: actual not in value,
        Operator.CONTAINS: lambda: value in actual,
        Operator.STARTS_WITH: lambda: actual.startswith(value),
        Operator.ENDS_WITH: lambda: actual.endswith(value),
        Operator.GT: lambda: actual > value,
        Operator.GTE: lambda: actual >= value,
        Operator.LT: lambda: actual < value,
        Operator.LTE: lambda: actual <= value,
        Operator.BETWEEN: lambda: value[0] <= actual <= value[1],
        Operator.EMAIL_DOMAIN_IN: lambda: actual.split("@", 1)[-1] in value,
    }
    return checks[operator]()


def in_segment(segment, contact) -> bool:
    return all(matches(c.operator, c.value, _field_value(contact, c.fdef)) for c in segment)


def _rule_points(spec, rule, events, now) -> float:
    start = window_start(spec, rule, now)
    hits = [
        e
        for e in events
        if e.event_type == rule.event_type
        and start <= e.occurred_at <= now
        and (
            rule.property is None
            or matches(
                rule.property.operator,
                rule.property.value,
                _normal((e.properties or {}).get(rule.property.name), FieldType.TEXT),
            )
        )
    ]
    if rule.mode == EngagementMode.ONCE_AT_COUNT:
        return rule.points if len(hits) >= rule.min_count else 0
    if rule.half_life_days:
        weight = sum(
            0.5 ** ((now - e.occurred_at).total_seconds() / 86400 / rule.half_life_days)
            for e in hits
        )
    else:
        weight = len(hits)
    points = rule.points * weight
    if rule.cap:
        points = min(rule.cap, points)
    return round2(points) if rule.half_life_days else points


def evaluate(spec: ModelSpec, contact, events, now, shadowed_by=()) -> ContactResult | None:
    """Score one contact (with `.company` loaded) from its events; None if not in the segment."""
    if not in_segment(spec.segment, contact) or any(in_segment(s, contact) for s in shadowed_by):
        return None
    fit_points = [
        (
            r.key,
            r.points
            if matches(
                r.condition.operator, r.condition.value, _field_value(contact, r.condition.fdef)
            )
            else 0,
        )
        for r in spec.fit_rules
    ]
    eng_points = [(r.key, _rule_points(spec, r, events, now)) for r in spec.engagement_rules]
    blocked_by = next(
        (
            d.label
            for d in spec.disqualifiers
            if matches(
                d.condition.operator, d.condition.value, _field_value(contact, d.condition.fdef)
            )
        ),
        "",
    )
    fit = sum(p for _, p in fit_points)
    engagement = round2(sum(p for _, p in eng_points))
    total = round2(fit + engagement)
    return ContactResult(
        contact_id=contact.pk,
        fit=float(fit),
        engagement=engagement,
        total=total,
        grade=spec.grade(fit),
        mql_eligible=spec.mql_eligible(fit, engagement, total, blocked_by),
        blocked_by=blocked_by,
        breakdown=tuple((k, float(p)) for k, p in fit_points + eng_points if p),
    )

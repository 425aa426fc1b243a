"""Human sentences for rules, and a stored score's breakdown explained.

Rules are described from their plain-dict form (a ModelVersion.definition entry, `spec.to_dict()`
or `scoring.spec.rule_rows_to_dicts(model)` for the draft), e.g.

* fit: "Job title contains 'vp' → +10"
* engagement: "Page view where url contains '/pricing' in the last 30 days → +5 each, max 15",
  "Demo request at least 3 times in the last 90 days → +20 once"
* disqualifier: "Free-mail address: email domain is one of 'gmail.com' → never an MQL"
"""

from dataclasses import dataclass

from leads.models import Company, Contact, EventType
from scoring.catalogue import ATTRIBUTE_PREFIX, Operator
from scoring.models import ContactScore, EngagementMode, ModelVersion

KINDS = {"fit_rules": "fit", "engagement_rules": "engagement", "disqualifiers": "disqualifier"}
FIELD_LABELS = {
    "email": "Email",
    "company.domain": "Company domain",
    "company.tags": "Company tags",
}
OPERATOR_WORDS = {
    Operator.IN: "is one of",
    Operator.NOT_IN: "is none of",
    Operator.EMAIL_DOMAIN_IN: "email domain is one of",
    Operator.EQUALS: "is",
    Operator.NOT_EQUALS: "is not",
}


def number(value) -> str:
    """500.0 → '500', 1500 → '1,500', 2.5 → '2.5'."""
    try:
        n = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{int(n):,}" if n.is_integer() else f"{n:,.2f}".rstrip("0").rstrip(".")


def points(value) -> str:
    text = number(abs(float(value)))
    return f"-{text}" if float(value) < 0 else f"+{text}"


def field_label(name: str) -> str:
    if name.startswith(ATTRIBUTE_PREFIX):
        return f"Custom attribute '{name[len(ATTRIBUTE_PREFIX) :]}'"
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    text = name.replace("company.", "company ").replace("_", " ")
    return text[:1].upper() + text[1:]


def _choice_labels() -> dict[str, dict[str, str]]:
    """{field: {stored value: label}} of the contact and company fields with choices
    (seniority, department, …): a rule reads "Seniority is C-level", not 'c_level'."""
    labels = {}
    for model, prefix in ((Contact, ""), (Company, "company.")):
        for f in model._meta.get_fields():
            if getattr(f, "choices", None):
                labels[prefix + f.name] = {str(k): str(v) for k, v in f.flatchoices}
    return labels


CHOICE_LABELS = _choice_labels()


def _value(value, field: str | None = None) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    label = CHOICE_LABELS.get(field, {}).get(str(value))
    return label if label is not None else f"'{value}'"


def condition_text(field: str, operator: str, value, *, label: str | None = None) -> str:
    """'Job title contains 'vp'', 'Company employee count between 50 and 500', …"""
    subject = label if label is not None else field_label(field)
    if operator == Operator.EMAIL_DOMAIN_IN and label is None:
        subject = "Email domain"
        words = "is one of"
    else:
        words = OPERATOR_WORDS.get(operator)
        if words is None:
            words = Operator(operator).label if operator in Operator.values else str(operator)
    if operator in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
        return f"{subject} {words}"
    if operator == Operator.BETWEEN and isinstance(value, list | tuple) and len(value) == 2:
        return f"{subject} between {number(value[0])} and {number(value[1])}"
    known = field if label is None else None  # an event property has no choices
    if isinstance(value, list | tuple):
        return f"{subject} {words} {', '.join(_value(v, known) for v in value)}"
    return f"{subject} {words} {_value(value, known)}"


def fit_rule_text(rule: dict) -> str:
    return f"{rule_condition(rule)} → {points(rule['points'])}"


def rule_condition(rule: dict, *, lookback_days: int | None = None) -> str:
    """What a fit or engagement rule asks, without its points: "Seniority is C-level", "Page view
    where url contains '/pricing' in the last 30 days" (what a stage change's reason lists)."""
    if "event_type" not in rule:
        return condition_text(rule["field"], rule["operator"], rule.get("value"))
    return _engagement_condition(rule, lookback_days=lookback_days)


def _engagement_condition(rule: dict, *, lookback_days: int | None) -> str:
    event = dict(EventType.choices).get(rule["event_type"], rule["event_type"])
    text = event
    if rule.get("property_name"):
        prop = condition_text(
            rule["property_name"],
            rule["property_operator"],
            rule.get("property_value"),
            label=rule["property_name"],
        )
        text += f" where {prop}"
    once = rule["mode"] == EngagementMode.ONCE_AT_COUNT
    count = (rule.get("min_count") or 1) if once else 1
    if count != 1:
        text += f" at least {number(count)} times"
    days = rule.get("window_days")
    if lookback_days is not None:
        days = min(days or lookback_days, lookback_days)
    if days:
        text += f" in the last {number(days)} day{'s' if days != 1 else ''}"
    return text


def engagement_rule_text(rule: dict, *, lookback_days: int | None = None) -> str:
    text = _engagement_condition(rule, lookback_days=lookback_days)
    if rule["mode"] == EngagementMode.ONCE_AT_COUNT:
        return f"{text} → {points(rule['points'])} once"
    text += f" → {points(rule['points'])} each"
    if rule.get("cap"):
        text += f", max {number(rule['cap'])}"
    if rule.get("half_life_days"):
        text += f", halving every {number(rule['half_life_days'])} days"
    return text


def disqualifier_text(rule: dict) -> str:
    cond = condition_text(rule["field"], rule["operator"], rule.get("value"))
    cond = cond[:1].lower() + cond[1:]
    return f"{rule['label']}: {cond} → never an MQL"


def describe_rule(kind: str, rule: dict, *, lookback_days: int | None = None) -> str:
    """The sentence for one rule of `kind` (fit_rules, engagement_rules or disqualifiers)."""
    if kind == "fit_rules":
        return fit_rule_text(rule)
    if kind == "engagement_rules":
        return engagement_rule_text(rule, lookback_days=lookback_days)
    if kind == "disqualifiers":
        return disqualifier_text(rule)
    raise ValueError(kind)


def describe_definition(definition: dict) -> dict[str, list[dict]]:
    """Every rule of a version definition (or draft dicts) with its sentence, by kind."""
    lookback = definition.get("lookback_days")
    return {
        kind: [
            {"key": r.get("key", ""), "description": describe_rule(kind, r, lookback_days=lookback)}
            for r in definition.get(kind) or []
        ]
        for kind in KINDS
    }


@dataclass(frozen=True)
class ExplainedRule:
    kind: str  # "fit", "engagement" or "disqualifier"
    key: str
    description: str
    points: float  # 0 for the disqualifier that blocks the score


def score_explained(score: ContactScore) -> list[ExplainedRule]:
    """Each rule that fired for this score, as stored in its breakdown, described from the
    version that produced it (fit rules first, then engagement, each in the version's order);
    then the blocking disqualifier, if any, with 0 points."""
    definition = score.model_version.definition
    lookback = definition.get("lookback_days")
    fired = {item["rule"]: float(item["points"]) for item in score.breakdown or []}
    out = []
    known = set()
    for kind in ("fit_rules", "engagement_rules"):
        for rule in definition.get(kind) or []:
            known.add(rule["key"])
            if rule["key"] in fired:
                text = describe_rule(kind, rule, lookback_days=lookback)
                out.append(ExplainedRule(KINDS[kind], rule["key"], text, fired[rule["key"]]))
    for key, pts in fired.items():  # not in the version: cannot happen through the engine
        if key not in known:
            out.append(ExplainedRule("unknown", key, f"Rule {key}", pts))
    if score.blocked_by:
        rule = next(
            (d for d in definition.get("disqualifiers") or [] if d["label"] == score.blocked_by),
            None,
        )
        text = disqualifier_text(rule) if rule else f"{score.blocked_by} → never an MQL"
        out.append(ExplainedRule("disqualifier", rule["key"] if rule else "", text, 0.0))
    return out


def rule_sentences(items: list[tuple[int | None, list[str]]]) -> list[list[str]]:
    """Why MQLs qualified, for pages that list them (the queue, an MQL, the feedback inbox): for
    each (model_version_id, rule keys), the sentences of those rules from that version's
    definition (one query for all the versions on a page)."""
    version_ids = {vid for vid, _ in items if vid}
    definitions = dict(
        ModelVersion.objects.filter(pk__in=version_ids).values_list("pk", "definition")
    )
    described: dict[tuple[int, str], str] = {}
    for vid, definition in definitions.items():
        lookback = definition.get("lookback_days")
        for kind in KINDS:
            for rule in definition.get(kind) or []:
                try:
                    text = describe_rule(kind, rule, lookback_days=lookback)
                except (KeyError, ValueError, TypeError):
                    text = rule.get("key", "")
                described[(vid, rule.get("key", ""))] = text
    return [[described.get((vid, key), f"Rule {key}") for key in keys] for vid, keys in items]

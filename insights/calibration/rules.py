"""The rule report: each rule, where it fired vs where it did not."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone

from feedback.models import RejectReason
from insights.calibration.base import decided_shared, decided_sql, fetch, period, rate
from scoring.describe import describe_rule
from scoring.models import ScoringModel
from scoring.selectors import latest_version
from scoring.spec import rule_rows_to_dicts

# --- rule report ------------------------------------------------------------------------------


@dataclass
class RuleFigures:
    key: str
    kind: str  # fit_rules / engagement_rules / disqualifiers, or "" for a rule gone from the model
    description: str
    in_draft: bool
    fired: int = 0
    fired_accepted: int = 0
    fired_won: int = 0
    not_fired: int = 0
    not_fired_accepted: int = 0
    not_fired_won: int = 0
    top_reject_reasons: list[dict] = field(default_factory=list)  # [{code, label, count}]

    @property
    def acceptance_fired(self) -> float | None:
        return rate(self.fired_accepted, self.fired)

    @property
    def acceptance_not_fired(self) -> float | None:
        return rate(self.not_fired_accepted, self.not_fired)

    @property
    def won_fired(self) -> float | None:
        return rate(self.fired_won, self.fired)

    @property
    def won_not_fired(self) -> float | None:
        return rate(self.not_fired_won, self.not_fired)

    @property
    def lift(self) -> float | None:
        """Acceptance rate where it fired ÷ where it did not (None when either is unknown or
        the second is 0)."""
        a, b = self.acceptance_fired, self.acceptance_not_fired
        return round(a / b, 2) if a is not None and b else None

    @property
    def won_lift(self) -> float | None:
        a, b = self.won_fired, self.won_not_fired
        return round(a / b, 2) if a is not None and b else None

    def short_text(self) -> str:
        """The rule editor's figures, e.g. "fired on 412 MQLs · 61% accepted · lift 1.3×"."""
        if not self.fired:
            return f"fired on no decided MQL of the last {RULE_FIGURES_DAYS} days"
        text = f"fired on {self.fired:,} MQL{'s' if self.fired != 1 else ''}"
        text += f" · {self.acceptance_fired:.0%} accepted"
        if self.lift is not None:
            text += f" · lift {self.lift:.1f}×"
        return text


@dataclass
class RuleReport:
    model_id: int
    since: datetime
    until: datetime
    decided: int
    accepted: int
    won: int
    rules: list[RuleFigures]

    @property
    def acceptance(self) -> float | None:
        return rate(self.accepted, self.decided)

    @property
    def won_rate(self) -> float | None:
        return rate(self.won, self.decided)


def _known_rules(model: ScoringModel) -> dict[str, tuple[str, str, bool]]:
    """key → (kind, sentence, in the draft) for the draft's rules, then the latest version's."""
    known: dict[str, tuple[str, str, bool]] = {}
    version = latest_version(model=model)
    if version is not None:
        for kind in ("fit_rules", "engagement_rules", "disqualifiers"):
            for rule in version.definition.get(kind) or []:
                text = describe_rule(
                    kind, rule, lookback_days=version.definition.get("lookback_days")
                )
                known[rule["key"]] = (kind, text, False)
    for kind, rules in rule_rows_to_dicts(model).items():
        for rule in rules:
            try:
                text = describe_rule(kind, rule, lookback_days=model.lookback_days)
            except (KeyError, TypeError, ValueError):  # an invalid draft row: its key will do
                text = rule["key"]
            known[rule["key"]] = (kind, text, True)
    return known


def rule_report(
    *, model: ScoringModel, since: datetime, until: datetime | None = None
) -> RuleReport:
    """For each rule of `model` (its draft's rules, and any other rule that fired on its decided
    MQLs), among the decided MQLs of [since, until): where it fired vs where it did not, the
    count, acceptance rate, won rate and lift, and the top reject reasons where it fired.
    Two grouped statements, whatever the number of MQLs."""
    until = until or timezone.now()
    base, params = decided_sql(model, since, until)
    if connection.vendor == "postgresql":
        expand = "jsonb_array_elements_text(CASE WHEN jsonb_typeof(b.keys) = 'array'"
        expand += " THEN b.keys ELSE '[]'::jsonb END) k(key)"
        key = "k.key"
    else:
        expand, key = (
            "json_each(CASE WHEN json_type(b.keys) = 'array' THEN b.keys ELSE '[]' END) k",
            "k.value",
        )
    totals = fetch(
        f"SELECT b.acc, b.won, b.reason_id, count(*) FROM ({base}) b GROUP BY 1, 2, 3", params
    )
    by_key = fetch(
        f"SELECT {key}, b.acc, b.won, b.reason_id, count(*) FROM ({base}) b, {expand}"
        " GROUP BY 1, 2, 3, 4",
        params,
    )
    decided = sum(n for *_, n in totals)
    accepted = sum(n for acc, _, _, n in totals if acc)
    won = sum(n for _, w, _, n in totals if w)
    known = _known_rules(model)
    figures: dict[str, RuleFigures] = {}
    for k, (kind, text, in_draft) in known.items():
        if in_draft:
            figures[k] = RuleFigures(key=k, kind=kind, description=text, in_draft=True)
    reasons: dict[str, dict[int, int]] = {}
    for k, acc, w, reason_id, n in by_key:
        if k not in figures:
            kind, text, _ = known.get(k, ("", f"Rule {k} (no longer in this model)", False))
            figures[k] = RuleFigures(key=k, kind=kind, description=text, in_draft=False)
        f = figures[k]
        f.fired += n
        f.fired_accepted += n if acc else 0
        f.fired_won += n if w else 0
        if not acc and reason_id is not None:
            reasons.setdefault(k, {})
            reasons[k][reason_id] = reasons[k].get(reason_id, 0) + n
    labels = dict(RejectReason.objects.values_list("id", "label"))
    codes = dict(RejectReason.objects.values_list("id", "code"))
    for f in figures.values():
        f.not_fired = decided - f.fired
        f.not_fired_accepted = accepted - f.fired_accepted
        f.not_fired_won = won - f.fired_won
        top = sorted(reasons.get(f.key, {}).items(), key=lambda item: (-item[1], item[0]))[:3]
        f.top_reject_reasons = [
            {"code": codes.get(rid, ""), "label": labels.get(rid, ""), "count": n} for rid, n in top
        ]
    order = {k: i for i, k in enumerate(known)}
    rules = sorted(
        figures.values(), key=lambda f: (not f.in_draft, order.get(f.key, len(order)), f.key)
    )
    return RuleReport(
        model_id=model.pk,
        since=since,
        until=until,
        decided=decided,
        accepted=accepted,
        won=won,
        rules=rules,
    )


RULE_FIGURES_DAYS = 180


def rule_figures(*, model: ScoringModel, now: datetime | None = None) -> dict[str, str]:
    """The rule editor's short figures per rule key, over the last RULE_FIGURES_DAYS days."""
    since, until = period(RULE_FIGURES_DAYS, now)
    with decided_shared(model=model, since=since, until=until):
        report = rule_report(model=model, since=since, until=until)
    if not report.decided:
        return {}
    return {f.key: f.short_text() for f in report.rules if f.in_draft}

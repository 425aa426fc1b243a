"""Contacts that became MQL-eligible move to `mql`: the lifecycle side of scoring.

Policy (see docs/scoring.md):
- only on the move into eligibility (not eligible, or unscored, before this scoring pass), so a
  person who moves an eligible contact to nurture is not overruled until it qualifies anew;
- `lead` and `nurture` move forward to `mql`; `subscriber` moves with override (a skip), the
  reason saying so; `mql`, `sql`, `opportunity` and `customer` stay where they are;
- `disqualified` contacts are not re-qualified automatically: a person disqualified them.
"""

from datetime import datetime

from leads.models import LifecycleStage
from leads.services import stage_change_bulk
from scoring.describe import points, rule_condition
from scoring.models import ContactScore, ModelVersion

SCORING_ACTOR = "scoring"
QUALIFYING_STAGES = (LifecycleStage.SUBSCRIBER, LifecycleStage.LEAD, LifecycleStage.NURTURE)
REASON_MAX = 2000


def qualify_reason(*, version: ModelVersion, score: ContactScore) -> str:
    definition = version.definition
    rules = {r["key"]: r for r in definition["fit_rules"] + definition["engagement_rules"]}
    lookback = definition.get("lookback_days")
    fired = [
        f"{rule_condition(rules[item['rule']], lookback_days=lookback)} ({points(item['points'])})"
        for item in score.breakdown
        if item["rule"] in rules
    ]
    reason = (
        f"MQL-eligible under {version.model.name} v{version.number}: fit {score.fit:g}, "
        f"engagement {score.engagement:g}. Rules that fired: {'; '.join(fired) or 'none'}."
    )
    return reason[:REASON_MAX]


def contacts_mql_qualify(*, newly_eligible: dict[int, ModelVersion], now: datetime) -> list[int]:
    """Move contacts that just became MQL-eligible to `mql` (actor `scoring`); returns who moved.

    Set-based: one query for their scores, then leads.services.stage_change_bulk (one guarded
    UPDATE, one bulk INSERT of history), which also opens each moved contact's MQL for the
    handoff to sales.
    """
    if not newly_eligible:
        return []
    scores = ContactScore.objects.filter(
        contact_id__in=list(newly_eligible), mql_eligible=True
    ).only("contact_id", "model_id", "fit", "engagement", "breakdown")
    reasons = {}
    for score in scores:
        version = newly_eligible[score.contact_id]
        if score.model_id == version.model_id:
            reasons[score.contact_id] = qualify_reason(version=version, score=score)
    changes = stage_change_bulk(
        contact_ids=list(reasons),
        to_stage=LifecycleStage.MQL,
        system=SCORING_ACTOR,
        reasons=reasons,
        from_stages=QUALIFYING_STAGES,
        override=True,
        now=now,
    )
    return [change.contact_id for change in changes]

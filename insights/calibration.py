"""Calibration of a scoring model: reads over its decided MQLs, each one set-based SQL statement.

"Decided MQLs" of a model: MQLs it qualified (Mql.scoring_model) with a sales decision
(feedback.Decision) made in the period. Scores are those frozen on the MQL when it opened
(fit, engagement, total; the rules that fired: Decision.rule_keys).

* accepted: the decision was an accept;
* reached SQL (MQL→SQL): the contact moved to `sql` at or after the MQL opened
  (leads.StageChange; an accept does that, so does a later move by hand);
* won: the contact has a won deal created at or after the MQL opened (insights.Deal).

Plain selector functions, callable from tests and the generated-data checks:
rule_report(), score_grid(), threshold_frontier(), campaign_report().
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from feedback.models import Decision, RejectReason
from handoff.models import Mql
from insights.models import Deal, DealStage
from leads.models import LifecycleStage, StageChange
from scoring.describe import describe_rule
from scoring.models import ScoringModel
from scoring.selectors import latest_version
from scoring.spec import rule_rows_to_dicts

DAY = timedelta(days=1)
MONTH_DAYS = 30  # "a month" in the frontier's volumes
MAX_BANDS = 8


def period(days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` days up to `now`: (since, until)."""
    until = now or timezone.now()
    return until - days * DAY, until


def _base(model: ScoringModel, since: datetime, until: datetime, columns: str) -> tuple[str, list]:
    """The decided MQLs of `model` decided in [since, until), as a subquery with `columns`
    (SQL over aliases m: the MQL, d: its decision) plus acc, sql_reached and won (0 or 1)."""
    adapt = connection.ops.adapt_datetimefield_value
    mql, decision = Mql._meta.db_table, Decision._meta.db_table
    deal, change = Deal._meta.db_table, StageChange._meta.db_table
    text = (
        f"SELECT {columns}, CASE WHEN d.outcome = 'accept' THEN 1 ELSE 0 END AS acc,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {change} sc WHERE sc.contact_id = m.contact_id"
        " AND sc.to_stage = %s AND sc.changed_at >= m.qualified_at) THEN 1 ELSE 0 END"
        " AS sql_reached,"
        f" CASE WHEN EXISTS (SELECT 1 FROM {deal} x WHERE x.contact_id = m.contact_id"
        " AND x.stage = %s AND x.created_at >= m.qualified_at) THEN 1 ELSE 0 END AS won"
        f" FROM {decision} d JOIN {mql} m ON m.id = d.mql_id"
        " WHERE m.scoring_model_id = %s AND d.decided_at >= %s AND d.decided_at < %s"
    )
    return text, [LifecycleStage.SQL, DealStage.WON, model.pk, adapt(since), adapt(until)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
        return _rate(self.fired_accepted, self.fired)

    @property
    def acceptance_not_fired(self) -> float | None:
        return _rate(self.not_fired_accepted, self.not_fired)

    @property
    def won_fired(self) -> float | None:
        return _rate(self.fired_won, self.fired)

    @property
    def won_not_fired(self) -> float | None:
        return _rate(self.not_fired_won, self.not_fired)

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
        return _rate(self.accepted, self.decided)

    @property
    def won_rate(self) -> float | None:
        return _rate(self.won, self.decided)


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
    base, params = _base(model, since, until, "d.rule_keys AS keys, d.reason_id AS reason_id")
    if connection.vendor == "postgresql":
        expand = "jsonb_array_elements_text(CASE WHEN jsonb_typeof(b.keys) = 'array'"
        expand += " THEN b.keys ELSE '[]'::jsonb END) k(key)"
        key = "k.key"
    else:
        expand, key = (
            "json_each(CASE WHEN json_type(b.keys) = 'array' THEN b.keys ELSE '[]' END) k",
            "k.value",
        )
    totals = _fetch(
        f"SELECT b.acc, b.won, b.reason_id, count(*) FROM ({base}) b GROUP BY 1, 2, 3", params
    )
    by_key = _fetch(
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
    report = rule_report(model=model, since=since, until=until)
    if not report.decided:
        return {}
    return {f.key: f.short_text() for f in report.rules if f.in_draft}


# --- bands --------------------------------------------------------------------------------------


NICE = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


def band_edges(low: float, high: float, threshold: float | None, bands: int = 6) -> list[float]:
    """Lower edges of score bands covering [low, high]: multiples of a round step, the first at
    or below `low`, and `threshold` itself when it falls inside (so it is a band edge)."""
    if low is None or high is None:
        return [threshold] if threshold is not None else [0]
    span = max(high - low, 1)
    step = next((s for s in NICE if span / s <= bands), NICE[-1])
    first = math.floor(low / step) * step
    edges = {float(first + i * step) for i in range(int((high - first) // step) + 1)}
    if threshold is not None and first < threshold <= high:
        edges.add(float(threshold))
    edges = sorted(edges)
    return edges[: MAX_BANDS + 1]


def _band_case(column: str, edges: list[float]) -> tuple[str, list]:
    """The band index of `column` (0: below the second edge … n-1: at or above the last)."""
    if len(edges) <= 1:
        return "0", []
    whens = " ".join(f"WHEN {column} >= %s THEN {i}" for i in range(len(edges) - 1, 0, -1))
    return f"CASE {whens} ELSE 0 END", list(reversed(edges[1:]))


def _ranges(model, since, until) -> dict[str, tuple]:
    base, params = _base(model, since, until, "m.fit, m.engagement, m.total")
    [row] = _fetch(
        "SELECT min(b.fit), max(b.fit), min(b.engagement), max(b.engagement), min(b.total),"
        f" max(b.total) FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL",
        params,
    )
    return {"fit": row[0:2], "engagement": row[2:4], "total": row[4:6]}


def _band_labels(edges: list[float]) -> list[str]:
    def n(x):
        return f"{x:g}"

    return [
        f"{n(lo)}–{n(edges[i + 1])}" if i + 1 < len(edges) else f"≥ {n(lo)}"
        for i, lo in enumerate(edges)
    ]


# --- score grid ---------------------------------------------------------------------------------


@dataclass
class GridCell:
    fit_band: int
    engagement_band: int
    count: int = 0
    accepted: int = 0
    sql: int = 0
    won: int = 0

    @property
    def sql_rate(self) -> float | None:
        return _rate(self.sql, self.count)

    @property
    def won_rate(self) -> float | None:
        return _rate(self.won, self.count)

    @property
    def acceptance(self) -> float | None:
        return _rate(self.accepted, self.count)


@dataclass
class ScoreGrid:
    since: datetime
    until: datetime
    fit_edges: list[float]
    engagement_edges: list[float]
    thresholds: dict  # fit_min, engagement_min, total_min of the draft
    cells: list[list[GridCell]]  # [engagement band][fit band]
    decided: int

    @property
    def fit_labels(self) -> list[str]:
        return _band_labels(self.fit_edges)

    @property
    def engagement_labels(self) -> list[str]:
        return _band_labels(self.engagement_edges)

    @property
    def rows(self) -> list[tuple[str, list[GridCell]]]:
        """Highest engagement band first (the heatmap's top row)."""
        labels = self.engagement_labels
        return [(labels[i], self.cells[i]) for i in reversed(range(len(self.cells)))]


def score_grid(*, model: ScoringModel, since: datetime, until: datetime | None = None) -> ScoreGrid:
    """Decided MQLs of [since, until) in fit bands × engagement bands (scores frozen on the MQL),
    each cell with its count, acceptance, MQL→SQL and won rates; the draft's thresholds are band
    edges. One range query and one grouped query."""
    until = until or timezone.now()
    ranges = _ranges(model, since, until)
    fit_edges = band_edges(*ranges["fit"], model.fit_min)
    eng_edges = band_edges(*ranges["engagement"], model.engagement_min)
    base, params = _base(model, since, until, "m.fit, m.engagement")
    fit_case, fit_params = _band_case("b.fit", fit_edges)
    eng_case, eng_params = _band_case("b.engagement", eng_edges)
    rows = _fetch(
        f"SELECT {fit_case}, {eng_case}, count(*), sum(b.acc), sum(b.sql_reached), sum(b.won)"
        f" FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL"
        " GROUP BY 1, 2",
        [*fit_params, *eng_params, *params],
    )
    cells = [
        [GridCell(fit_band=f, engagement_band=e) for f in range(len(fit_edges))]
        for e in range(len(eng_edges))
    ]
    decided = 0
    for f, e, n, acc, sql, won in rows:
        cell = cells[e][f]
        cell.count, cell.accepted, cell.sql, cell.won = n, int(acc), int(sql), int(won)
        decided += n
    return ScoreGrid(
        since=since,
        until=until,
        fit_edges=fit_edges,
        engagement_edges=eng_edges,
        thresholds={
            "fit_min": model.fit_min,
            "engagement_min": model.engagement_min,
            "total_min": model.total_min,
        },
        cells=cells,
        decided=decided,
    )


# --- threshold frontier -------------------------------------------------------------------------


@dataclass(frozen=True)
class FrontierPoint:
    fit_min: float
    engagement_min: float
    total_min: float | None
    mqls: int  # decided MQLs of the period that would still qualify
    per_month: float
    sql: int
    won: int
    accepted: int
    below_current: bool  # looser than the draft somewhere: volumes are a lower bound

    @property
    def sql_rate(self) -> float | None:
        return _rate(self.sql, self.mqls)

    @property
    def won_rate(self) -> float | None:
        return _rate(self.won, self.mqls)

    @property
    def acceptance(self) -> float | None:
        return _rate(self.accepted, self.mqls)


@dataclass
class Frontier:
    since: datetime
    until: datetime
    months: int
    uses_total: bool
    current: dict
    points: list[FrontierPoint]  # every pair (or triple), strictest first
    matches: list[FrontierPoint]  # those meeting the target, best first
    target: dict


def threshold_frontier(
    *,
    model: ScoringModel,
    months: int = 6,
    min_sql_rate: float | None = None,
    max_per_month: float | None = None,
    min_per_month: float | None = None,
    now: datetime | None = None,
) -> Frontier:
    """For a grid of (fit, engagement) threshold pairs — and total thresholds when the draft
    uses one — the decided MQLs per month of the last `months` months (of 30 days) that would
    still have qualified on their scores at the time, and their MQL→SQL rate. With a target
    (MQL→SQL ≥ min_sql_rate, MQLs a month ≤ max_per_month and/or ≥ min_per_month), `matches`
    holds the points meeting it, best first: the most MQLs a month when a rate is the target,
    else the highest MQL→SQL rate.

    One grouped statement counts the MQLs per (fit band, engagement band, total band); every
    candidate threshold is a band edge, so each point is a sum of whole cells."""
    until = now or timezone.now()
    since = until - months * MONTH_DAYS * DAY
    uses_total = model.total_min is not None
    ranges = _ranges(model, since, until)
    fit_edges = band_edges(*ranges["fit"], model.fit_min, bands=7)
    eng_edges = band_edges(*ranges["engagement"], model.engagement_min, bands=7)
    total_edges = band_edges(*ranges["total"], model.total_min, bands=7) if uses_total else []
    base, params = _base(model, since, until, "m.fit, m.engagement, m.total")
    fit_case, fit_params = _band_case("b.fit", fit_edges)
    eng_case, eng_params = _band_case("b.engagement", eng_edges)
    if uses_total:
        total_case, total_params = _band_case(
            "coalesce(b.total, b.fit + b.engagement)", total_edges
        )
    else:
        total_case, total_params = "0", []
    rows = _fetch(
        f"SELECT {fit_case}, {eng_case}, {total_case}, count(*), sum(b.sql_reached),"
        " sum(b.won), sum(b.acc)"
        f" FROM ({base}) b WHERE b.fit IS NOT NULL AND b.engagement IS NOT NULL"
        " GROUP BY 1, 2, 3",
        [*fit_params, *eng_params, *total_params, *params],
    )
    points = []
    totals_options = list(range(len(total_edges))) + [None] if uses_total else [None]
    for fi, fit_min in enumerate(fit_edges):
        for ei, eng_min in enumerate(eng_edges):
            for ti in totals_options:
                n = sql = won = acc = 0
                for f, e, t, count, s, w, a in rows:
                    if (f >= fi and e >= ei) or (ti is not None and t >= ti):
                        n, sql, won, acc = n + count, sql + int(s), won + int(w), acc + int(a)
                total_min = total_edges[ti] if ti is not None else None
                looser = fit_min < model.fit_min or eng_min < model.engagement_min
                if uses_total:
                    looser = looser or total_min is None or total_min < model.total_min
                points.append(
                    FrontierPoint(
                        fit_min=fit_min,
                        engagement_min=eng_min,
                        total_min=total_min,
                        mqls=n,
                        per_month=round(n / months, 1),
                        sql=sql,
                        won=won,
                        accepted=acc,
                        below_current=looser,
                    )
                )
    target = {
        "min_sql_rate": min_sql_rate,
        "max_per_month": max_per_month,
        "min_per_month": min_per_month,
    }
    matches = [
        p
        for p in points
        if p.mqls
        and (min_sql_rate is None or (p.sql_rate or 0) >= min_sql_rate)
        and (max_per_month is None or p.per_month <= max_per_month)
        and (min_per_month is None or p.per_month >= min_per_month)
    ]
    if min_sql_rate is not None:
        matches.sort(key=lambda p: (-p.per_month, -(p.sql_rate or 0), p.fit_min, p.engagement_min))
    else:
        matches.sort(key=lambda p: (-(p.sql_rate or 0), -p.per_month, p.fit_min, p.engagement_min))
    points.sort(key=lambda p: (p.mqls, -(p.sql_rate or 0)))
    return Frontier(
        since=since,
        until=until,
        months=months,
        uses_total=uses_total,
        current={
            "fit_min": model.fit_min,
            "engagement_min": model.engagement_min,
            "total_min": model.total_min,
        },
        points=points,
        matches=matches if any(v is not None for v in target.values()) else [],
        target=target,
    )


# --- by campaign ------------------------------------------------------------------------------


def campaign_report(
    *, model: ScoringModel, since: datetime, until: datetime | None = None
) -> list[dict]:
    """Decided MQLs of [since, until) by the campaign they were attributed to when they opened
    (Mql.campaign): count, acceptance, MQL→SQL and won rates, most MQLs first."""
    until = until or timezone.now()
    base, params = _base(model, since, until, "m.campaign AS campaign")
    rows = _fetch(
        f"SELECT b.campaign, count(*), sum(b.acc), sum(b.sql_reached), sum(b.won)"
        f" FROM ({base}) b GROUP BY 1 ORDER BY 2 DESC, 1",
        params,
    )
    return [
        {
            "campaign": campaign or "",
            "count": n,
            "acceptance": _rate(int(acc), n),
            "sql_rate": _rate(int(sql), n),
            "won_rate": _rate(int(won), n),
        }
        for campaign, n, acc, sql, won in rows
    ]

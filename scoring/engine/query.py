"""Generate the scoring SELECT for one chunk of contacts from a ModelSpec (rules as data).

The statement returns one row per contact in scope *and* in the model's segment:
contact_id, fit, engagement, total, grade, mql_eligible, blocked_by, breakdown.

* fit: one CASE per fit rule, summed;
* engagement: one aggregate pass over the chunk's events with a `count(*) FILTER (WHERE …)` or
  decayed `sum(…) FILTER (…)` per engagement rule; window cutoffs are computed in Python and
  bound as parameters, so nothing time-dependent is evaluated per row;
* the rest as CASEs over those columns.

Column names come only from the field catalogue; every user value is a bound parameter.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from leads.models import ActivityEvent, Company, Contact
from scoring.catalogue import FieldDef, FieldType
from scoring.catalogue import Operator as O
from scoring.engine.dialect import Dialect
from scoring.models import EngagementMode
from scoring.spec import Condition, EngagementRuleSpec, ModelSpec, PropertyCondition


@dataclass(frozen=True)
class Scope:
    """Which contacts a run looks at: an id range (full rescore chunks) or explicit ids."""

    lo: int | None = None
    hi: int | None = None
    ids: tuple[int, ...] = ()

    def sql(self, column: str) -> tuple[str, list]:
        if self.ids:
            return f"{column} IN ({', '.join(['%s'] * len(self.ids))})", list(self.ids)
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


class Sql:
    """SQL text with its parameters in order of appearance."""

    def __init__(self, text: str = "", params: list | None = None):
        self.text, self.params = text, list(params or [])

    def add(self, text: str, params=()) -> "Sql":
        self.text += text
        self.params += list(params)
        return self


def _value_expr(fdef: FieldDef, d: Dialect, operator: str) -> tuple[str, list]:
    """The SQL expression a condition compares, from catalogue names only."""
    if fdef.table == "event":
        raw, params = d.json_text("e.properties", fdef.attribute_key)
    elif fdef.attribute_key:
        raw, params = d.json_text("c.attributes", fdef.attribute_key)
    else:
        raw, params = f"{'co' if fdef.table == 'company' else 'c'}.{fdef.column}", []
    if fdef.type in (FieldType.NUMBER, FieldType.LIST):
        return raw, params
    text = f"lower(coalesce({raw}, ''))"
    if operator == O.EMAIL_DOMAIN_IN:
        return d.email_domain(text), params
    return text, params


def condition_sql(cond: Condition | PropertyCondition, d: Dialect) -> tuple[str, list]:
    """A boolean SQL expression for one condition (never NULL)."""
    fdef = cond.fdef
    op, value = cond.operator, cond.value
    expr, params = _value_expr(fdef, d, op)
    if fdef.type == FieldType.LIST:
        if op in (O.IS_EMPTY, O.IS_NOT_EMPTY):
            sign = "=" if op == O.IS_EMPTY else ">"
            return f"({d.list_length(expr)} {sign} 0)", params
        items = [value] if op == O.CONTAINS else list(value)
        sql = d.list_has_any(expr, len(items))
        return (f"(NOT {sql})" if op == O.NOT_IN else f"({sql})"), params + items
    empty = f"{expr} IS NULL" if fdef.type == FieldType.NUMBER else f"{expr} = ''"
    simple = {O.EQUALS: "=", O.NOT_EQUALS: "<>", O.GT: ">", O.GTE: ">=", O.LT: "<", O.LTE: "<="}
    if op in simple:
        sql, more = f"{expr} {simple[op]} %s", [value]
    elif op in (O.IN, O.NOT_IN, O.EMAIL_DOMAIN_IN):
        neg = "NOT " if op == O.NOT_IN else ""
        sql, more = f"{expr} {neg}IN ({', '.join(['%s'] * len(value))})", list(value)
    elif op == O.CONTAINS:
        sql, more = d.contains(expr), [value]
    elif op == O.STARTS_WITH:
        sql, more = d.starts_with(expr), [value, value]
    elif op == O.ENDS_WITH:
        sql, more = d.ends_with(expr), [value, value]
    elif op == O.BETWEEN:
        sql, more = f"{expr} BETWEEN %s AND %s", list(value)
    elif op == O.IS_EMPTY:
        sql, more = empty, []
    elif op == O.IS_NOT_EMPTY:
        sql, more = f"NOT ({empty})", []
    else:  # pragma: no cover - the spec validated the operator
        raise ValueError(op)
    return f"coalesce(({sql}), false)", params + more


def window_start(spec: ModelSpec, rule: EngagementRuleSpec, now: datetime) -> datetime:
    """Events count for a rule from this moment (inclusive) up to `now`."""
    days = min(rule.window_days or spec.lookback_days, spec.lookback_days)
    return now - timedelta(days=days)


def _engagement(spec: ModelSpec, now: datetime, scope: Scope, d: Dialect, adapt) -> tuple:
    """The per-chunk event aggregate and, per rule, the expression of its points."""
    if not spec.engagement_rules:
        return None, []
    agg, points = Sql("SELECT e.contact_id"), []
    for i, rule in enumerate(spec.engagement_rules):
        cond = Sql("e.event_type = %s AND e.occurred_at >= %s", [rule.event_type])
        cond.params.append(adapt(window_start(spec, rule, now)))
        if rule.property:
            sql, params = condition_sql(rule.property, d)
            cond.add(f" AND {sql}", params)
        if rule.half_life_days:
            agg.add(f", sum(power(0.5, {d.age_days('e.occurred_at')} / %s))", [adapt(now)])
            agg.params.append(rule.half_life_days)
            agg.add(f" FILTER (WHERE {cond.text}) AS e{i}", cond.params)
        else:
            agg.add(f", count(*) FILTER (WHERE {cond.text}) AS e{i}", cond.params)
        expr, expr_params = f"%s * coalesce(ev.e{i}, 0)", [rule.points]
        if rule.mode == EngagementMode.ONCE_AT_COUNT:
            expr = f"CASE WHEN coalesce(ev.e{i}, 0) >= %s THEN %s ELSE 0 END"
            expr_params = [rule.min_count, rule.points]
        elif rule.cap:
            expr = d.least("%s", expr)
            expr_params = [rule.cap, *expr_params]
        if rule.half_life_days:
            expr = d.round2(expr)
        points.append((expr, expr_params))
    types = sorted({r.event_type for r in spec.engagement_rules})
    scope_sql, scope_params = scope.sql("e.contact_id")
    agg.add(f" FROM {ActivityEvent._meta.db_table} e WHERE {scope_sql}", scope_params)
    lookback = now - timedelta(days=spec.lookback_days)
    occurred_at, event_type = d.no_index("e.occurred_at"), d.no_index("e.event_type")
    agg.add(f" AND {occurred_at} >= %s AND {occurred_at} <= %s", [adapt(lookback), adapt(now)])
    agg.add(f" AND {event_type} IN ({', '.join(['%s'] * len(types))})", types)
    agg.add(" GROUP BY e.contact_id")
    return agg, points


def scoring_query(
    spec: ModelSpec, *, now: datetime, scope: Scope, shadowed_by: tuple = (), dialect=None
) -> Sql:
    """The SELECT computing every score column for the contacts in `scope`.

    `shadowed_by`: segments (tuples of Conditions) of higher-priority models; contacts matching
    one of them belong to that model and are left out here.
    """
    d = dialect or Dialect(connection.vendor)
    adapt = connection.ops.adapt_datetimefield_value
    # Innermost: one column per rule.
    inner = Sql("SELECT c.id AS contact_id")
    for i, rule in enumerate(spec.fit_rules):
        sql, params = condition_sql(rule.condition, d)
        inner.add(f", CASE WHEN {sql} THEN %s ELSE 0 END AS f{i}", [*params, rule.points])
    agg, eng_points = _engagement(spec, now, scope, d, adapt)
    for i, (expr, params) in enumerate(eng_points):
        inner.add(f", {expr} AS e{i}", params)
    inner.add(", CASE" if spec.disqualifiers else ", ''")
    for rule in spec.disqualifiers:
        sql, params = condition_sql(rule.condition, d)
        inner.add(f" WHEN {sql} THEN %s", [*params, rule.label])
    inner.add(" ELSE '' END AS blocked_by" if spec.disqualifiers else " AS blocked_by")
    inner.add(f" FROM {Contact._meta.db_table} c")
    inner.add(f" LEFT JOIN {Company._meta.db_table} co ON co.id = c.company_id")
    if agg is not None:
        inner.add(f" LEFT JOIN ({agg.text}) ev ON ev.contact_id = c.id", agg.params)
    scope_sql, scope_params = scope.sql("c.id")
    inner.add(f" WHERE {scope_sql}", scope_params)
    for cond in spec.segment:
        sql, params = condition_sql(cond, d)
        inner.add(f" AND {sql}", params)
    for segment in shadowed_by:
        parts = [condition_sql(c, d) for c in segment] or [("true", [])]
        inner.add(
            f" AND NOT ({' AND '.join(s for s, _ in parts)})", [p for _, ps in parts for p in ps]
        )
    # Middle: sums and the breakdown.
    fit_cols = [f"p.f{i}" for i in range(len(spec.fit_rules))]
    eng_cols = [f"p.e{i}" for i in range(len(spec.engagement_rules))]
    fired = [(r.key, c) for r, c in zip(spec.fit_rules, fit_cols, strict=True)]
    fired += [(r.key, c) for r, c in zip(spec.engagement_rules, eng_cols, strict=True)]
    breakdown, breakdown_params = d.json_fired(fired)
    middle = Sql(
        f"SELECT p.contact_id, ({' + '.join(fit_cols) or '0'}) AS fit,"
        f" {d.round2(' + '.join(eng_cols) or '0')} AS engagement, p.blocked_by,"
        f" {breakdown} AS breakdown FROM ({inner.text}{d.fence}) p",
        breakdown_params + inner.params,
    )
    # Outer: total, grade, MQL eligibility.
    total = d.round2("r.fit + r.engagement")
    by_total = f" OR {total} >= %s" if spec.total_min is not None else ""
    outer = Sql(
        f"SELECT r.contact_id, r.fit, r.engagement, {total} AS total,"
        " CASE WHEN r.fit >= %s THEN 'A' WHEN r.fit >= %s THEN 'B' WHEN r.fit >= %s THEN 'C'"
        " ELSE 'D' END AS grade,"
        " CASE WHEN r.blocked_by = '' AND ((r.fit >= %s AND r.engagement >= %s)"
        f"{by_total}) THEN true ELSE false END AS mql_eligible,"
        f" r.blocked_by, r.breakdown FROM ({middle.text}{d.fence}) r",
        [spec.grade_a_min, spec.grade_b_min, spec.grade_c_min, spec.fit_min, spec.engagement_min],
    )
    if spec.total_min is not None:
        outer.params.append(spec.total_min)
    outer.params += middle.params
    return outer

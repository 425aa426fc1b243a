"""Generate the scoring SELECT for one chunk of contacts from a ModelSpec (rules as data).

The statement returns one row per contact in scope *and* in the model's segment:
contact_id, fit, engagement, total, grade, mql_eligible, blocked_by, breakdown.

* fit: one CASE per fit rule, summed;
* engagement: one aggregate pass over the chunk's events with a `count(*) FILTER (WHERE …)` or
  decayed `sum(…) FILTER (…)` per engagement rule; window cutoffs are computed in Python and
  bound as parameters, so nothing time-dependent is evaluated per row. Rules with a condition on
  an event property get a second pass of their own: the first one then reads only the columns of
  the covering index `(contact_id, occurred_at) INCLUDE (event_type)` (an index-only scan, in
  contact order, no heap access);
* the rest as CASEs over those columns.

Column names come only from the field catalogue; every user value is a bound parameter.

The text of a statement depends only on the spec, the segments shadowing it, the shape of the
scope (an id range or a list of ids) and the database: it is compiled once into a `Template`
whose time- and scope-dependent parameters are markers (`Ago`, `Slot`) filled in at execution
(`Template.bind`), and cached (`compiled_query`). A new version has a new definition, hence a new
key: nothing has to be invalidated by hand.
"""

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

import psycopg
from django.db import connection

from leads.models import ActivityEvent, Company, Contact
from scoring.catalogue import FieldDef, FieldType, Operator
from scoring.engine.dialect import Dialect
from scoring.models import EngagementMode
from scoring.spec import Condition, EngagementRuleSpec, ModelSpec, PropertyCondition

ANCHORS_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


@dataclass(frozen=True)
class Scope:
    """Which contacts a run looks at: an id range (full rescore chunks) or explicit ids.

    Or, with `anchors`, a set of (contact, moment) pairs scored each as of its own moment: the
    name of a table or view with the columns `anchor_id`, `contact_id` and `as_of`, and the
    range `lo`..`hi` of `anchor_id` to score (number the anchors in contact order: a chunk then
    reads only its contacts' range of the events index). Each row is scored from the events up to its
    `as_of` (later ones are ignored), windows and decay anchored there; contact and company
    fields are read as they are now. The result rows carry `anchor_id` as a last column. One
    contact may appear in many rows (many moments), scored independently.
    """

    lo: int | None = None
    hi: int | None = None
    ids: tuple[int, ...] = ()
    anchors: str = ""

    def __post_init__(self):
        if self.anchors and not ANCHORS_NAME.match(self.anchors):
            raise ValueError(f"not a table name: {self.anchors!r}")

    @property
    def shape(self) -> str:
        if self.anchors:
            return f"anchors:{self.anchors}"
        return "ids" if self.ids else "range"


@dataclass(frozen=True)
class Ago:
    """A parameter filled in at execution: `now` minus this many days (0: `now` itself)."""

    days: int


@dataclass(frozen=True)
class Slot:
    """A parameter filled in at execution: the scope's `lo`, `hi` or `ids`, or a value the
    caller passes to `Template.bind` (e.g. the model and version a score is written for)."""

    name: str


def anchors_of(shape: str) -> str:
    """The anchors table of an anchored shape ("" for the others)."""
    return shape.partition(":")[2] if shape.startswith("anchors:") else ""


def scope_sql(shape: str, column: str, d: Dialect) -> tuple[str, list]:
    """The condition putting `column` in the scope, one text per shape (whatever the ids).
    Anchored shapes put the anchor rows (alias `a`) in scope, whatever `column` says."""
    if anchors_of(shape):
        return "a.anchor_id BETWEEN %s AND %s", [Slot("lo"), Slot("hi")]
    if shape == "ids":
        if d.pg:
            return f"{column} = ANY(%s::bigint[])", [Slot("ids")]
        return f"{column} IN (SELECT value FROM json_each(%s))", [Slot("ids")]
    return f"{column} BETWEEN %s AND %s", [Slot("lo"), Slot("hi")]


class Sql:
    """SQL text with its parameters in order of appearance."""

    def __init__(self, text: str = "", params: list | None = None):
        self.text, self.params = text, list(params or [])

    def add(self, text: str, params=()) -> "Sql":
        self.text += text
        self.params += list(params)
        return self


@dataclass(frozen=True)
class Template:
    """A compiled statement: its text and its parameters, some of them markers."""

    text: str
    params: tuple
    pg: bool

    def bind(self, *, scope: Scope, now: datetime | None = None, **slots) -> list:
        """The parameters for one execution over `scope` as of `now` (needed by `Ago`)."""
        adapt = connection.ops.adapt_datetimefield_value
        ids = list(scope.ids)
        values = {"lo": scope.lo, "hi": scope.hi, "ids": ids if self.pg else json.dumps(ids)}
        values.update(slots)
        times: dict[int, object] = {}
        bound = []
        for param in self.params:
            if isinstance(param, Ago):
                if param.days not in times:
                    times[param.days] = adapt(now - timedelta(days=param.days))
                bound.append(times[param.days])
            elif isinstance(param, Slot):
                bound.append(values[param.name])
            else:
                bound.append(param)
        return bound


class LruCache:
    """A small LRU shared by the threads of a process (compiled statements, parsed specs)."""

    def __init__(self, size: int = 256):
        self.size, self._items, self._lock = size, OrderedDict(), Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


STATEMENTS = LruCache()


def statement_key(spec: ModelSpec, shadowed_by: tuple, *parts) -> tuple:
    """What a compiled statement depends on: the spec's content (not a version id, which a
    rolled-back SQLite transaction can hand out again), the shadowing segments and `parts`."""
    return (spec.content_key, repr(shadowed_by), *parts)


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
    if operator == Operator.EMAIL_DOMAIN_IN:
        return d.email_domain(text), params
    return text, params


def condition_sql(cond: Condition | PropertyCondition, d: Dialect) -> tuple[str, list]:
    """A boolean SQL expression for one condition (never NULL)."""
    fdef = cond.fdef
    op, value = cond.operator, cond.value
    expr, params = _value_expr(fdef, d, op)
    if fdef.type == FieldType.LIST:
        if op in (Operator.IS_EMPTY, Operator.IS_NOT_EMPTY):
            sign = "=" if op == Operator.IS_EMPTY else ">"
            return f"({d.list_length(expr)} {sign} 0)", params
        items = [value] if op == Operator.CONTAINS else list(value)
        sql = d.list_has_any(expr, len(items))
        return (f"(NOT {sql})" if op == Operator.NOT_IN else f"({sql})"), params + items
    empty = f"{expr} IS NULL" if fdef.type == FieldType.NUMBER else f"{expr} = ''"
    simple = {
        Operator.EQUALS: "=",
        Operator.NOT_EQUALS: "<>",
        Operator.GT: ">",
        Operator.GTE: ">=",
        Operator.LT: "<",
        Operator.LTE: "<=",
    }
    if op in simple:
        sql, more = f"{expr} {simple[op]} %s", [value]
    elif op in (Operator.IN, Operator.NOT_IN, Operator.EMAIL_DOMAIN_IN):
        neg = "NOT " if op == Operator.NOT_IN else ""
        sql, more = f"{expr} {neg}IN ({', '.join(['%s'] * len(value))})", list(value)
    elif op == Operator.CONTAINS:
        sql, more = d.contains(expr), [value]
    elif op == Operator.STARTS_WITH:
        sql, more = d.starts_with(expr), [value, value]
    elif op == Operator.ENDS_WITH:
        sql, more = d.ends_with(expr), [value, value]
    elif op == Operator.BETWEEN:
        sql, more = f"{expr} BETWEEN %s AND %s", list(value)
    elif op == Operator.IS_EMPTY:
        sql, more = empty, []
    elif op == Operator.IS_NOT_EMPTY:
        sql, more = f"NOT ({empty})", []
    else:  # pragma: no cover - the spec validated the operator
        raise ValueError(op)
    return f"coalesce(({sql}), false)", params + more


def window_days(spec: ModelSpec, rule: EngagementRuleSpec) -> int:
    """A rule counts the events of this many days up to `now` (its window, within the lookback)."""
    return min(rule.window_days or spec.lookback_days, spec.lookback_days)


def window_start(spec: ModelSpec, rule: EngagementRuleSpec, now: datetime) -> datetime:
    """Events count for a rule from this moment (inclusive) up to `now`."""
    return now - timedelta(days=window_days(spec, rule))


def _decay_weight(d: Dialect, half_life_days: int) -> tuple[str, list]:
    """An event's weight 0.5 ** (age in days / half-life), the exponent capped at MAX_HALF_LIVES
    (so power() cannot underflow). On PostgreSQL in float8 (the numeric
    that extract() returns would make power() ~10x slower), in the same order of operations as
    the reference evaluator's Python floats."""
    if d.pg:
        exponent = d.decay_exponent(
            "(extract(epoch from (%s::timestamptz - e.occurred_at))::float8"
            " / 86400.0::float8) / %s::float8"
        )
        return f"power(0.5::float8, {exponent})", [Ago(0), half_life_days]
    exponent = d.decay_exponent(f"{d.age_days('e.occurred_at')} / %s")
    return f"power(0.5, {exponent})", [Ago(0), half_life_days]


def _aggregate(spec: ModelSpec, rules: list, shape: str, d: Dialect) -> Sql:
    """One pass over the scope's events: a FILTERed aggregate column e<i> per rule (i, rule)."""
    agg = Sql("SELECT e.contact_id")
    for i, rule in rules:
        cond = Sql("e.event_type = %s AND e.occurred_at >= %s", [rule.event_type])
        cond.params.append(Ago(window_days(spec, rule)))
        if rule.property:
            sql, params = condition_sql(rule.property, d)
            cond.add(f" AND {sql}", params)
        if rule.half_life_days:
            weight, params = _decay_weight(d, rule.half_life_days)
            agg.add(f", sum({weight})", params)
            agg.add(f" FILTER (WHERE {cond.text}) AS e{i}", cond.params)
        else:
            agg.add(f", count(*) FILTER (WHERE {cond.text}) AS e{i}", cond.params)
    types = sorted({rule.event_type for _, rule in rules})
    scope_text, scope_params = scope_sql(shape, "e.contact_id", d)
    # The widest window of these rules (not the lookback): fewer rows reach the aggregate.
    oldest = max(window_days(spec, rule) for _, rule in rules)
    if anchors := anchors_of(shape):
        # One group per anchor row: its contact's events up to its own moment. The events are
        # also bounded by the scope's lowest and highest contact (two one-row subqueries): with
        # anchors numbered in contact order, a chunk reads its contacts' range of the
        # (contact_id, occurred_at) index, as a rescore chunk does, never the whole table.
        bound = f"(SELECT {{}}(x.contact_id) FROM {anchors} x WHERE x.anchor_id BETWEEN %s AND %s)"
        agg.text = agg.text.replace("SELECT e.contact_id", "SELECT a.anchor_id", 1)
        agg.add(
            f" FROM {anchors} a JOIN {ActivityEvent._meta.db_table} e"
            " ON e.contact_id = a.contact_id AND e.occurred_at >= %s AND e.occurred_at <= %s"
            f" WHERE {scope_text}"
            f" AND e.contact_id BETWEEN {bound.format('min')} AND {bound.format('max')}",
            [Ago(oldest), Ago(0), *scope_params, *scope_params, *scope_params],
        )
        agg.add(f" AND e.event_type IN ({', '.join(['%s'] * len(types))})", types)
        return agg.add(" GROUP BY a.anchor_id")
    agg.add(f" FROM {ActivityEvent._meta.db_table} e WHERE {scope_text}", scope_params)
    occurred_at, event_type = d.no_index("e.occurred_at"), d.no_index("e.event_type")
    agg.add(f" AND {occurred_at} >= %s AND {occurred_at} <= %s", [Ago(oldest), Ago(0)])
    agg.add(f" AND {event_type} IN ({', '.join(['%s'] * len(types))})", types)
    return agg.add(" GROUP BY e.contact_id")


def _engagement(spec: ModelSpec, shape: str, d: Dialect) -> tuple[list[Sql], list]:
    """The event aggregates (rules on the event type alone; rules with a property condition,
    which need the event rows themselves) and, per rule, the expression of its points."""
    rules = list(enumerate(spec.engagement_rules))
    passes = [
        [(i, r) for i, r in rules if not r.property],
        [(i, r) for i, r in rules if r.property],
    ]
    aggregates = [_aggregate(spec, group, shape, d) for group in passes if group]
    source = {i: f"ev{n}" for n, group in enumerate(g for g in passes if g) for i, _ in group}
    points = []
    for i, rule in rules:
        count = f"coalesce({source[i]}.e{i}, 0)"
        expr, expr_params = f"%s * {count}", [rule.points]
        if rule.mode == EngagementMode.ONCE_AT_COUNT:
            expr = f"CASE WHEN {count} >= %s THEN %s ELSE 0 END"
            expr_params = [rule.min_count, rule.points]
        elif rule.cap:
            expr = d.least("%s", expr)
            expr_params = [rule.cap, *expr_params]
        if rule.half_life_days:
            expr = d.round2(expr)
        points.append((expr, expr_params))
    return aggregates, points


def rule_columns(spec: ModelSpec, alias: str) -> list[tuple[str, str]]:
    """(rule key, its points column under `alias`) for every rule, fit rules (f0…) first, then
    engagement rules (e0…), in the spec's order: the columns of the scoring query."""
    return [(r.key, f"{alias}.f{i}") for i, r in enumerate(spec.fit_rules)] + [
        (r.key, f"{alias}.e{i}") for i, r in enumerate(spec.engagement_rules)
    ]


def _compile_query(
    spec: ModelSpec, shape: str, shadowed_by: tuple, d: Dialect, keyed: bool = False
) -> Template:
    anchors = anchors_of(shape)
    # Innermost: one column per rule.
    inner = Sql("SELECT c.id AS contact_id" + (", a.anchor_id" if anchors else ""))
    for i, rule in enumerate(spec.fit_rules):
        sql, params = condition_sql(rule.condition, d)
        inner.add(f", CASE WHEN {sql} THEN %s ELSE 0 END AS f{i}", [*params, rule.points])
    aggregates, eng_points = _engagement(spec, shape, d)
    for i, (expr, params) in enumerate(eng_points):
        inner.add(f", {expr} AS e{i}", params)
    inner.add(", CASE" if spec.disqualifiers else ", ''")
    for rule in spec.disqualifiers:
        sql, params = condition_sql(rule.condition, d)
        inner.add(f" WHEN {sql} THEN %s", [*params, rule.label])
    inner.add(" ELSE '' END AS blocked_by" if spec.disqualifiers else " AS blocked_by")
    if anchors:
        inner.add(f" FROM {anchors} a JOIN {Contact._meta.db_table} c ON c.id = a.contact_id")
    else:
        inner.add(f" FROM {Contact._meta.db_table} c")
    inner.add(f" LEFT JOIN {Company._meta.db_table} co ON co.id = c.company_id")
    join_on = "anchor_id = a.anchor_id" if anchors else "contact_id = c.id"
    for n, agg in enumerate(aggregates):
        inner.add(f" LEFT JOIN ({agg.text}) ev{n} ON ev{n}.{join_on}", agg.params)
    scope_text, scope_params = scope_sql(shape, "c.id", d)
    inner.add(f" WHERE {scope_text}", scope_params)
    for cond in spec.segment:
        sql, params = condition_sql(cond, d)
        inner.add(f" AND {sql}", params)
    for segment in shadowed_by:
        parts = [condition_sql(c, d) for c in segment] or [("true", [])]
        inner.add(
            f" AND NOT ({' AND '.join(s for s, _ in parts)})", [p for _, ps in parts for p in ps]
        )
    # Middle: sums and the breakdown.
    fired = rule_columns(spec, "p")
    fit_cols = [c for _, c in fired[: len(spec.fit_rules)]]
    eng_cols = [c for _, c in fired[len(spec.fit_rules) :]]
    if keyed:  # the rules' points and their key; the breakdown is built for changed rows only
        breakdown = ", ".join(c for _, c in fired) + (", " if fired else "")
        breakdown += f"{d.concat_ws([c for _, c in fired]) if fired else repr('')}"
        breakdown_params = []
    else:
        breakdown, breakdown_params = d.json_fired(fired)
    # Points are whole numbers unless a rule decays: only then are sums rounded to 2 decimals
    # (a numeric round trip per row and column otherwise).
    decays = any(rule.half_life_days for rule in spec.engagement_rules)
    round2 = d.round2 if decays else (lambda expr: f"({expr})")
    carried = ", p.anchor_id" if anchors else ""
    middle = Sql(
        f"SELECT p.contact_id, ({' + '.join(fit_cols) or '0'}) AS fit,"
        f" {round2(' + '.join(eng_cols) or '0')} AS engagement, p.blocked_by,"
        f" {breakdown} AS {'points_key' if keyed else 'breakdown'}{carried}"
        f" FROM ({inner.text}{d.fence}) p",
        breakdown_params + inner.params,
    )
    # Outer: total, grade, MQL eligibility.
    keyed_columns = ", ".join(c for _, c in rule_columns(spec, "r")) + (", " if fired else "")
    keyed_columns += "r.points_key"
    total = round2("r.fit + r.engagement")
    by_total = f" OR {total} >= %s" if spec.total_min is not None else ""
    outer = Sql(
        f"SELECT r.contact_id, r.fit, r.engagement, {total} AS total,"
        " CASE WHEN r.fit >= %s THEN 'A' WHEN r.fit >= %s THEN 'B' WHEN r.fit >= %s THEN 'C'"
        " ELSE 'D' END AS grade,"
        " CASE WHEN r.blocked_by = '' AND ((r.fit >= %s AND r.engagement >= %s)"
        f"{by_total}) THEN true ELSE false END AS mql_eligible,"
        f" r.blocked_by, {keyed_columns if keyed else 'r.breakdown'}"
        f"{carried.replace('p.', 'r.')} FROM ({middle.text}{d.fence}) r",
        [spec.grade_a_min, spec.grade_b_min, spec.grade_c_min, spec.fit_min, spec.engagement_min],
    )
    if spec.total_min is not None:
        outer.params.append(spec.total_min)
    outer.params += middle.params
    if anchors:
        return _anchor_times(Template(outer.text, tuple(outer.params), d.pg), d)
    return Template(outer.text, tuple(outer.params), d.pg)


def _anchor_times(template: Template, d: Dialect) -> Template:
    """An anchored statement: every `Ago(n)` marker becomes `a.as_of` minus n days, computed in
    SQL from the anchor row in scope (`a` is the anchors table wherever an Ago appears)."""
    pieces = template.text.split("%s")
    text, params = [pieces[0]], []
    for param, piece in zip(template.params, pieces[1:], strict=True):
        if isinstance(param, Ago):
            text.append(d.days_before("a.as_of", param.days))
        else:
            text.append("%s")
            params.append(param)
        text.append(piece)
    return Template("".join(text), tuple(params), template.pg)


def _inline_constants(template: Template) -> Template:
    """PostgreSQL: write the spec's constants into the text as literals, quoted by psycopg
    exactly as Django's client-side binding quotes every parameter anyway, and keep only the
    markers as parameters. A prepared statement then binds a handful of values per call
    instead of ~100 (converting and sending them cost more than running it for one contact)."""
    pieces = template.text.split("%s")
    if len(pieces) != len(template.params) + 1:  # pragma: no cover - a "%s" in generated text
        raise ValueError("placeholder count does not match the parameters")
    connection.ensure_connection()
    quote = psycopg.ClientCursor(connection.connection).mogrify
    text, markers = [pieces[0]], []
    for param, piece in zip(template.params, pieces[1:], strict=True):
        if isinstance(param, Ago | Slot):
            text.append("%s")
            markers.append(param)
        else:
            text.append(quote("%s", [param]).replace("%", "%%"))  # a literal "%" stays one
        text.append(piece)
    return Template("".join(text), tuple(markers), template.pg)


def compiled_query(
    spec: ModelSpec,
    *,
    shape: str,
    shadowed_by: tuple = (),
    dialect: Dialect | None = None,
    keyed: bool = False,
) -> Template:
    """The scoring SELECT for `spec` over a scope of this shape, compiled once and cached.

    `keyed`: instead of the breakdown, each rule's points (columns f0…, e0…, in the spec's
    order) and `points_key`, those points as text: the write step compares keys and builds the
    breakdown of changed rows only (building it for every row was a fifth of a rescore)."""
    d = dialect or Dialect(connection.vendor)
    key = statement_key(spec, shadowed_by, "keyed" if keyed else "select", shape, d.vendor)

    def build() -> Template:
        template = _compile_query(spec, shape, shadowed_by, d, keyed)
        return _inline_constants(template) if d.pg else template

    return STATEMENTS.get(key, build)


def scoring_query(
    spec: ModelSpec, *, now: datetime, scope: Scope, shadowed_by: tuple = (), dialect=None
) -> Sql:
    """The SELECT computing every score column for the contacts in `scope`, with its parameters.

    `shadowed_by`: segments (tuples of Conditions) of higher-priority models; contacts matching
    one of them belong to that model and are left out here.
    """
    template = compiled_query(spec, shape=scope.shape, shadowed_by=shadowed_by, dialect=dialect)
    return Sql(template.text, template.bind(now=now, scope=scope))

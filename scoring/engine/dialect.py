"""The few SQL spellings that differ between PostgreSQL and SQLite.

Every method returns SQL text built only from constants and the expressions handed in (which come
from the field catalogue); user values are returned separately as parameters.
"""

from dataclasses import dataclass

# PostgreSQL refuses a function call of more than 100 arguments (SQLite, by default, of more than
# 127): a variadic call over one item per rule takes them in groups of at most this many.
MAX_ARGS = 90
# An event older than this many half-lives weighs 0.5 ** MAX_HALF_LIVES (about 1e-301, nothing
# after rounding to 2 decimals): the exponent is capped so that power() cannot underflow, which
# PostgreSQL reports as an error ("value out of range: underflow") instead of returning 0.
MAX_HALF_LIVES = 1000


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + MAX_ARGS] for i in range(0, len(items), MAX_ARGS)]


@dataclass(frozen=True)
class Dialect:
    vendor: str

    @property
    def pg(self) -> bool:
        return self.vendor == "postgresql"

    def json_text(self, column: str, key: str) -> tuple[str, list]:
        """The text of a top-level JSON key (key bound as a parameter)."""
        if self.pg:
            return f"({column} ->> %s)", [key]
        return f"json_extract({column}, %s)", [f'$."{key}"']

    def contains(self, expr: str) -> str:
        return f"strpos({expr}, %s) > 0" if self.pg else f"instr({expr}, %s) > 0"

    def starts_with(self, expr: str) -> str:  # two parameters: the prefix, twice
        return f"substr({expr}, 1, length(%s)) = %s"

    def ends_with(self, expr: str) -> str:  # two parameters: the suffix, twice
        if self.pg:
            return f"right({expr}, length(%s)) = %s"
        return f"substr({expr}, -length(%s)) = %s"

    def email_domain(self, expr: str) -> str:
        if self.pg:
            return f"split_part({expr}, '@', 2)"
        return f"substr({expr}, instr({expr}, '@') + 1)"

    def _array(self, column: str) -> str:
        if self.pg:
            return (
                f"(CASE WHEN jsonb_typeof({column}) = 'array' THEN {column} ELSE '[]'::jsonb END)"
            )
        return f"(CASE WHEN json_type({column}) = 'array' THEN {column} ELSE '[]' END)"

    def list_has_any(self, column: str, count: int) -> str:
        marks = ", ".join(["%s"] * count)
        if self.pg:
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({self._array(column)}) t(v)"
                f" WHERE lower(t.v) IN ({marks}))"
            )
        return (
            f"EXISTS (SELECT 1 FROM json_each({self._array(column)}) t"
            f" WHERE lower(t.value) IN ({marks}))"
        )

    def list_length(self, column: str) -> str:
        fn = "jsonb_array_length" if self.pg else "json_array_length"
        return f"{fn}({self._array(column)})"

    def no_index(self, column: str) -> str:
        """SQLite: a unary + keeps the planner off an index on this column (it would otherwise
        scan the (event_type, occurred_at) index over all contacts instead of the chunk's)."""
        return column if self.pg else f"+{column}"

    @property
    def stage_table(self) -> str:
        """The per-connection staging table, schema-qualified so it can never hit a real table."""
        return "pg_temp.scoring_stage" if self.pg else "temp.scoring_stage"

    @property
    def fence(self) -> str:
        """Keeps the planner from inlining a subquery (which would evaluate each rule's
        expression once per reference instead of once per row)."""
        return " OFFSET 0" if self.pg else " LIMIT -1 OFFSET 0"

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.pg else f"min({a}, {b})"

    def age_days(self, column: str) -> str:
        """Days between the `now` parameter and a timestamp column (one parameter)."""
        if self.pg:
            return f"(extract(epoch from (%s::timestamptz - {column})) / 86400.0)"
        return f"(julianday(%s) - julianday({column}))"

    def days_before(self, column: str, days: int) -> str:
        """`column` (a timestamp) minus a whole number of days of 24 hours, like Python's
        timedelta(days=…): on PostgreSQL an interval of seconds, which no time zone's daylight
        saving changes; on SQLite the text form Django stores (to the millisecond)."""
        days = int(days)
        if not days:
            return column
        if self.pg:
            return f"({column} - interval '86400 seconds' * {days})"
        return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '-{days} days')"

    def round2(self, expr: str) -> str:
        """`expr` to cents, halves up, in float8 throughout (scoring.reference.round2 does the
        same operations): first to the nearest billionth, so that a value that prints as a half
        (2.675, stored as 2.67499999999999982) counts as one. A numeric round trip gave the
        same cents at ~1 µs a value, a fifth of a full rescore under decaying rules."""
        if self.pg:
            return (
                f"(floor((round(({expr})::float8 * 1e9::float8) + 5e6::float8) / 1e7::float8)"
                " / 100.0::float8)"
            )
        return f"round({expr}, 2)"

    def concat_ws(self, parts: list[str]) -> str:
        """PostgreSQL: the non-NULL `parts` joined by commas, or '' (NULL-free, like concat_ws);
        in groups of MAX_ARGS, each group NULL when empty so the outer call skips it."""
        groups = _chunks(parts)
        if len(groups) == 1:
            return f"concat_ws(',', {', '.join(parts)})"
        inner = [f"NULLIF(concat_ws(',', {', '.join(g)}), '')" for g in groups]
        return self.concat_ws(inner)

    def decay_exponent(self, expr: str) -> str:
        """The number of half-lives `expr`, capped at MAX_HALF_LIVES."""
        return self.least(f"({expr})", f"{MAX_HALF_LIVES}")

    def json_fired(self, items: list[tuple[str, str]]) -> tuple[str, list]:
        """A JSON array of {"rule": key, "points": expr} for each item whose points are not 0."""
        params = [key for key, _ in items]
        if not items:
            return ("'[]'::jsonb" if self.pg else "'[]'"), []
        if self.pg:
            # concat_ws skips NULLs: one text concatenation and one jsonb parse per row.
            # Keys are validated to [A-Za-z0-9_-] and bound; points are numbers.
            elements = [
                f"""CASE WHEN {expr} <> 0 THEN '{{"rule":"' || %s || '","points":' || {expr} || '}}' END"""
                for _, expr in items
            ]
            return f"('[' || {self.concat_ws(elements)} || ']')::jsonb", params
        elements = [
            f"json(CASE WHEN {expr} <> 0 THEN json_object('rule', %s, 'points', {expr}) END)"
            for _, expr in items
        ]
        groups = _chunks(elements)
        if len(groups) == 1:
            source = f"json_each(json_array({', '.join(elements)})) j"
        else:  # one array per group, flattened in order
            arrays = ", ".join(f"json_array({', '.join(g)})" for g in groups)
            source = (
                f"(SELECT j.value, j.type FROM json_each(json_array({arrays})) a,"
                " json_each(a.value) j ORDER BY a.key, j.key) j"
            )
        return (
            f"(SELECT json_group_array(json(j.value)) FROM {source} WHERE j.type <> 'null')"
        ), params

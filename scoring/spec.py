"""An immutable, validated description of one scoring model version.

Built from the draft rows (`spec_from_draft`) or from a ModelVersion.definition
(`ModelSpec.from_dict`), serialised back with `to_dict`. Every constructor validates and raises
DomainError naming the offending field (e.g. `fit_rules[2].value`), so the engine only ever sees
well-formed rules.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from core.exceptions import DomainError
from core.text import text_problem
from leads.models import EventType
from scoring.catalogue import KEY_RE, MAX_TEXT, TEXT_OPS, FieldDef, FieldType, field_def
from scoring.catalogue import normalise_value as _normalise
from scoring.models import EngagementMode

MAX_DAYS = 3650
MAX_POINTS = 100_000
MAX_RULES = 200  # per list (fit rules, engagement rules, disqualifiers)
MAX_SEGMENT = 20
# A half-life from about an hour to ten years (the engine caps the exponent as well, so a tiny
# half-life over old events weighs 0 instead of underflowing).
MIN_HALF_LIFE_DAYS = 0.04
MAX_HALF_LIFE_DAYS = 3650
RULE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def _int(value: Any, *, field: str, low: int, high: int = MAX_POINTS, optional=False) -> int | None:
    if value in (None, "") and optional:
        return None
    if isinstance(value, bool):
        raise DomainError("Enter a whole number.", field=field)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError("Enter a whole number.", field=field) from None
    if not low <= number <= high:
        raise DomainError(f"Enter a number from {low} to {high}.", field=field)
    return number


def _str(value: Any, *, field: str, max_length: int = MAX_TEXT, required=True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value not in (None, "") and not isinstance(value, str):
        raise DomainError("Enter text.", field=field)
    if required and not text:
        raise DomainError("This field is required.", field=field)
    if len(text) > max_length:
        raise DomainError(f"Use at most {max_length} characters.", field=field)
    if problem := text_problem(text):
        raise DomainError(problem, field=field)
    return text


def _half_life(value: Any, *, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomainError("Enter a number of days.", field=field)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise DomainError("Enter a number of days.", field=field) from None
    if not MIN_HALF_LIFE_DAYS <= number <= MAX_HALF_LIFE_DAYS:  # NaN fails both
        raise DomainError(
            f"Enter a half-life from {MIN_HALF_LIFE_DAYS} to {MAX_HALF_LIFE_DAYS} days.",
            field=field,
        )
    return number


def _object(data: Any, *, field: str) -> dict:
    if not isinstance(data, dict):
        raise DomainError("Send an object.", field=field)
    return data


def _rule_list(rows: Any, *, field: str, limit: int = MAX_RULES) -> list[dict]:
    """A list of at most `limit` objects; errors name `field` or `field[i]`."""
    if rows is None or rows == "":
        return []
    if not isinstance(rows, list | tuple):
        raise DomainError("Send a list.", field=field)
    if len(rows) > limit:
        noun = "segment conditions" if field == "segment" else "rules"
        raise DomainError(f"Use at most {limit} {noun}.", field=field)
    return [_object(row, field=f"{field}[{i}]") for i, row in enumerate(rows)]


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any = None

    @property
    def fdef(self) -> FieldDef:
        return field_def(self.field, field="field")

    @classmethod
    def from_dict(cls, data: dict, prefix: str = "") -> Condition:
        data = _object(data, field=prefix.rstrip(".") or "condition")
        fdef = field_def(data.get("field"), field=f"{prefix}field")
        value = _normalise(fdef, data.get("operator"), data.get("value"), field=f"{prefix}value")
        return cls(fdef.name, str(data["operator"]), value)


def property_fdef(name: str) -> FieldDef:
    """An event property is compared as text."""
    return FieldDef(f"property {name}", FieldType.TEXT, "event", "properties", attribute_key=name)


@dataclass(frozen=True)
class PropertyCondition:
    name: str
    operator: str
    value: Any = None

    @property
    def fdef(self) -> FieldDef:
        return property_fdef(self.name)

    @classmethod
    def from_dict(cls, data: dict, prefix: str = "") -> PropertyCondition | None:
        name = data.get("property_name") or ""
        if not name:
            if data.get("property_operator") or data.get("property_value") not in (None, ""):
                raise DomainError("Name the event property.", field=f"{prefix}property_name")
            return None
        if not isinstance(name, str) or not KEY_RE.match(name):
            raise DomainError(
                "A property name uses letters, digits and _ (up to 64).",
                field=f"{prefix}property_name",
            )
        op = data.get("property_operator")
        if op not in TEXT_OPS:
            raise DomainError(
                "Choose an operator for the property.", field=f"{prefix}property_operator"
            )
        value = _normalise(
            property_fdef(name), op, data.get("property_value"), field=f"{prefix}property_value"
        )
        return cls(name, str(op), value)


@dataclass(frozen=True)
class FitRuleSpec:
    key: str
    condition: Condition
    points: int

    @classmethod
    def from_dict(cls, data: dict, prefix: str = "") -> FitRuleSpec:
        condition = Condition.from_dict(data, prefix)
        points = _int(data.get("points"), field=f"{prefix}points", low=-MAX_POINTS)
        if points == 0:
            raise DomainError("Points must not be 0.", field=f"{prefix}points")
        return cls(_key(data, prefix), condition, points)

    def to_dict(self) -> dict:
        return {"key": self.key, **asdict(self.condition), "points": self.points}


@dataclass(frozen=True)
class EngagementRuleSpec:
    key: str
    event_type: str
    mode: str
    points: int
    property: PropertyCondition | None = None
    cap: int | None = None
    min_count: int | None = None
    window_days: int | None = None
    half_life_days: float | None = None

    @classmethod
    def from_dict(cls, data: dict, prefix: str = "") -> EngagementRuleSpec:
        p = prefix
        data = _object(data, field=prefix.rstrip(".") or "rule")
        if data.get("event_type") not in EventType.values:
            raise DomainError("Choose a known event type.", field=f"{p}event_type")
        mode = data.get("mode")
        if mode not in EngagementMode.values:
            raise DomainError("Choose how points are counted.", field=f"{p}mode")
        per_occurrence = mode == EngagementMode.PER_OCCURRENCE
        cap = _int(data.get("cap"), field=f"{p}cap", low=1, optional=True)
        min_count = _int(data.get("min_count"), field=f"{p}min_count", low=1, optional=True)
        if per_occurrence and min_count is not None:
            raise DomainError("A count threshold is for “once” rules only.", field=f"{p}min_count")
        if not per_occurrence and min_count is None:
            raise DomainError("Enter the count N.", field=f"{p}min_count")
        if not per_occurrence and cap is not None:
            raise DomainError("A cap is for per-occurrence rules only.", field=f"{p}cap")
        half_life = data.get("half_life_days")
        if half_life in (None, ""):
            half_life = None
        else:
            if not per_occurrence:
                raise DomainError(
                    "Decay applies to per-occurrence rules only.", field=f"{p}half_life_days"
                )
            half_life = _half_life(half_life, field=f"{p}half_life_days")
        return cls(
            key=_key(data, p),
            event_type=data["event_type"],
            mode=mode,
            points=_int(data.get("points"), field=f"{p}points", low=1),
            property=PropertyCondition.from_dict(data, p),
            cap=cap,
            min_count=min_count,
            window_days=_int(
                data.get("window_days"),
                field=f"{p}window_days",
                low=1,
                high=MAX_DAYS,
                optional=True,
            ),
            half_life_days=half_life,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        prop = data.pop("property") or {"name": "", "operator": "", "value": None}
        data.update(
            property_name=prop["name"],
            property_operator=prop["operator"],
            property_value=prop["value"],
        )
        return data


@dataclass(frozen=True)
class DisqualifierSpec:
    key: str
    label: str
    condition: Condition

    @classmethod
    def from_dict(cls, data: dict, prefix: str = "") -> DisqualifierSpec:
        data = _object(data, field=prefix.rstrip(".") or "rule")
        label = _str(data.get("label"), field=f"{prefix}label", max_length=100)
        return cls(_key(data, prefix), label, Condition.from_dict(data, prefix))

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, **asdict(self.condition)}


@dataclass(frozen=True)
class ModelSpec:
    lookback_days: int
    fit_min: int
    engagement_min: int
    total_min: int | None
    grade_a_min: int
    grade_b_min: int
    grade_c_min: int
    segment: tuple[Condition, ...] = ()
    fit_rules: tuple[FitRuleSpec, ...] = ()
    engagement_rules: tuple[EngagementRuleSpec, ...] = ()
    disqualifiers: tuple[DisqualifierSpec, ...] = ()

    SETTINGS = ("lookback_days", "fit_min", "engagement_min", "total_min")
    SETTINGS += ("grade_a_min", "grade_b_min", "grade_c_min")

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        settings = settings_from_dict(data)
        parts = {}
        for name, rule_cls in RULE_KINDS.items():
            rows = _rule_list(data.get(name), field=name)
            parts[name] = tuple(rule_cls.from_dict(r, f"{name}[{i}].") for i, r in enumerate(rows))
        keys = [r.key for rules in parts.values() for r in rules]
        if len(keys) != len(set(keys)):
            raise DomainError("Rule keys must be unique.", field="key")
        return cls(**settings, **parts)

    @cached_property
    def content_key(self) -> str:
        """The spec as canonical JSON: the engine caches statements compiled from it under it."""
        return json.dumps(self.to_dict(), sort_keys=True, default=str)

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.SETTINGS}
        data["segment"] = [asdict(c) for c in self.segment]
        for name in RULE_KINDS:
            data[name] = [r.to_dict() for r in getattr(self, name)]
        return data

    def grade(self, fit: float) -> str:
        bands = (("A", self.grade_a_min), ("B", self.grade_b_min), ("C", self.grade_c_min))
        return next((g for g, low in bands if fit >= low), "D")

    def mql_eligible(self, fit: float, engagement: float, total: float, blocked_by: str) -> bool:
        if blocked_by:
            return False
        by_total = self.total_min is not None and total >= self.total_min
        return by_total or (fit >= self.fit_min and engagement >= self.engagement_min)


RULE_KINDS = {
    "fit_rules": FitRuleSpec,
    "engagement_rules": EngagementRuleSpec,
    "disqualifiers": DisqualifierSpec,
}


def _key(data: dict, prefix: str) -> str:
    key = data.get("key") or ""
    if not isinstance(key, str) or not RULE_KEY_RE.match(key):
        raise DomainError("Invalid rule key.", field=f"{prefix}key")
    return key


def segment_from_list(rows: Any) -> tuple[Condition, ...]:
    rows = _rule_list(rows, field="segment", limit=MAX_SEGMENT)
    return tuple(Condition.from_dict(row, f"segment[{i}].") for i, row in enumerate(rows))


def settings_from_dict(data: dict) -> dict:
    """Validate the model-level settings (segment, window, thresholds, grade bands)."""
    out = {
        "lookback_days": _int(
            data.get("lookback_days"), field="lookback_days", low=1, high=MAX_DAYS
        ),
        "fit_min": _int(data.get("fit_min"), field="fit_min", low=-MAX_POINTS),
        "engagement_min": _int(data.get("engagement_min"), field="engagement_min", low=0),
        "total_min": _int(data.get("total_min"), field="total_min", low=-MAX_POINTS, optional=True),
        "segment": segment_from_list(data.get("segment")),
    }
    bands = [
        _int(data.get(f"grade_{g}_min"), field=f"grade_{g}_min", low=-MAX_POINTS) for g in "abc"
    ]
    if not bands[0] > bands[1]:
        raise DomainError("Grade A must start above grade B.", field="grade_a_min")
    if not bands[1] > bands[2]:
        raise DomainError("Grade B must start above grade C.", field="grade_b_min")
    out.update(grade_a_min=bands[0], grade_b_min=bands[1], grade_c_min=bands[2])
    return out


def rule_rows_to_dicts(model) -> dict[str, list[dict]]:
    """The draft rule rows of a ScoringModel as plain dicts, in position order."""
    fit = model.fitrules.order_by("position", "id")
    eng = model.engagementrules.order_by("position", "id")
    dq = model.disqualifiers.order_by("position", "id")
    fit_names = ("key", "field", "operator", "value", "points")
    eng_names = tuple(EngagementRuleSpec.__dataclass_fields__) + (
        "property_name",
        "property_operator",
        "property_value",
    )
    eng_names = tuple(n for n in eng_names if n != "property")
    return {
        "fit_rules": [{n: getattr(r, n) for n in fit_names} for r in fit],
        "engagement_rules": [{n: getattr(r, n) for n in eng_names} for r in eng],
        "disqualifiers": [
            {n: getattr(r, n) for n in ("key", "label", "field", "operator", "value")} for r in dq
        ],
    }


def spec_from_draft(model) -> ModelSpec:
    """Validate and freeze a ScoringModel's draft (settings + rule rows)."""
    data = {name: getattr(model, name) for name in ModelSpec.SETTINGS}
    data["segment"] = model.segment
    data.update(rule_rows_to_dicts(model))
    return ModelSpec.from_dict(data)

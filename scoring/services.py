"""Writes for scoring models: the draft editor, publishing, rollback; plus version diffs."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import DomainError
from core.text import text_problem
from scoring.models import (
    ContactScore,
    Disqualifier,
    EngagementRule,
    FitRule,
    ModelVersion,
    ScoreHistory,
    ScoringModel,
    new_rule_key,
)
from scoring.rescore import rescore_start
from scoring.spec import MAX_RULES, RULE_KINDS, ModelSpec, settings_from_dict, spec_from_draft

if TYPE_CHECKING:
    from django.contrib.auth.models import User

RULE_MODELS = {
    "fit_rules": FitRule,
    "engagement_rules": EngagementRule,
    "disqualifiers": Disqualifier,
}
DraftRuleRow = FitRule | EngagementRule | Disqualifier
MODEL_FIELDS = ("name", "description", "priority", "is_active") + ModelSpec.SETTINGS + ("segment",)


def _kind_of(rule: DraftRuleRow) -> str:
    return next(kind for kind, cls in RULE_MODELS.items() if isinstance(rule, cls))


def _validated_rule_values(kind: str, data: dict, key: str) -> dict:
    """Validate one rule through its spec class; return the row's normalised column values."""
    spec = RULE_KINDS[kind].from_dict({**data, "key": key})
    values = spec.to_dict()
    values.pop("key")
    return values


def _validated_model_values(data: dict) -> tuple[dict, object]:
    name = (data.get("name") or "").strip() if isinstance(data.get("name"), str) else ""
    if not name or len(name) > 100:
        raise DomainError("Enter a name of up to 100 characters.", field="name")
    if problem := text_problem(name):
        raise DomainError(problem, field="name")
    values = settings_from_dict(data)
    values["segment"] = [
        {"field": c.field, "operator": c.operator, "value": c.value} for c in values["segment"]
    ]
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 10_000:
        raise DomainError("Enter a whole number from -10000 to 10000.", field="priority")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise DomainError("Enter text.", field="description")
    if problem := text_problem(description):
        raise DomainError(problem, field="description")
    is_active = data.get("is_active", True)
    if not isinstance(is_active, bool):
        raise DomainError("Choose yes or no.", field="is_active")
    return {**values, "name": name, "priority": priority, "description": description}, is_active


def model_create(*, data: dict, by: "User | None", now: datetime | None = None):
    """Create a scoring model (its draft settings; rules are added separately)."""
    values, is_active = _validated_model_values(data)
    try:
        with transaction.atomic():
            return ScoringModel.objects.create(
                **values,
                is_active=is_active,
                created_by=by,
                draft_changed_at=now or timezone.now(),
            )
    except IntegrityError:
        raise DomainError("A scoring model with this name exists.", field="name") from None


def model_update(*, model: ScoringModel, data: dict, now: datetime | None = None) -> ScoringModel:
    current = {name: getattr(model, name) for name in MODEL_FIELDS}
    values, is_active = _validated_model_values({**current, **data})
    values["is_active"] = is_active
    changed = [k for k, v in values.items() if getattr(model, k) != v]
    if not changed:
        return model
    for k in changed:
        setattr(model, k, values[k])
    model.draft_changed_at = now or timezone.now()
    try:
        with transaction.atomic():
            model.save(update_fields=[*changed, "draft_changed_at", "updated_at"])
            # Activation and priority act at once (the draft's other settings wait for publish).
            if {"is_active", "priority"} & set(changed) and model.versions.exists():
                _rescore_all(by=None, reason=f"Changed activation or priority of {model.name}")
    except IntegrityError:
        raise DomainError("A scoring model with this name exists.", field="name") from None
    return model


def _touch(model: ScoringModel) -> None:
    model.draft_changed_at = timezone.now()
    model.save(update_fields=["draft_changed_at", "updated_at"])


@transaction.atomic
def rule_add(*, model: ScoringModel, kind: str, data: dict) -> DraftRuleRow:
    """Append a draft rule of `kind` (fit_rules, engagement_rules or disqualifiers)."""
    if kind not in RULE_MODELS:
        raise DomainError("Unknown rule kind.", field="kind")
    cls = RULE_MODELS[kind]
    rule = cls(model=model)
    values = _validated_rule_values(kind, data, rule.key)
    last = cls.objects.filter(model=model).aggregate(m=Max("position"))["m"]
    rule = cls.objects.create(model=model, key=rule.key, position=(last or 0) + 1, **values)
    _touch(model)
    return rule


@transaction.atomic
def rule_update(*, rule: DraftRuleRow, data: dict) -> DraftRuleRow:
    kind = _kind_of(rule)
    current = (
        RULE_KINDS[kind]
        .from_dict(
            {"key": rule.key, **{f.name: getattr(rule, f.name) for f in rule._meta.concrete_fields}}
        )
        .to_dict()
    )
    values = _validated_rule_values(kind, {**current, **data}, rule.key)
    changed = [k for k, v in values.items() if getattr(rule, k) != v]
    for k in changed:
        setattr(rule, k, values[k])
    if changed:
        rule.save(update_fields=changed)
        _touch(rule.model)
    return rule


@transaction.atomic
def rule_delete(*, rule: DraftRuleRow) -> None:
    model = rule.model
    rule.delete()
    _touch(model)


@transaction.atomic
def rule_reorder(*, model: ScoringModel, kind: str, ordered_ids: list[int]) -> None:
    """Set the order of a model's rules of `kind`; `ordered_ids` must list each exactly once."""
    if kind not in RULE_MODELS:
        raise DomainError("Unknown rule kind.", field="kind")
    rules = {r.pk: r for r in RULE_MODELS[kind].objects.select_for_update().filter(model=model)}
    if sorted(ordered_ids) != sorted(rules):
        raise DomainError("List every rule of this model exactly once.", field="ordered_ids")
    for position, pk in enumerate(ordered_ids, start=1):
        rules[pk].position = position
    RULE_MODELS[kind].objects.bulk_update(rules.values(), ["position"])
    _touch(model)


def _publish(
    *, model: ScoringModel, spec: ModelSpec, by: "User | None", note: str, now: datetime
) -> ModelVersion:
    latest = model.versions.order_by("-number").first()
    definition = spec.to_dict()
    if latest is not None and latest.definition == definition:
        raise DomainError(f"Nothing changed since version {latest.number}.", field="note")
    return ModelVersion.objects.create(
        model=model,
        number=(latest.number + 1) if latest else 1,
        definition=definition,
        note=note.strip()[:2000],
        published_by=by,
        published_at=now or timezone.now(),
    )


@transaction.atomic
def model_publish(
    *, model: ScoringModel, by: "User | None", note: str, now: datetime | None = None
) -> ModelVersion:
    """Freeze the draft as the next version and start a full rescore (queued on commit)."""
    model = ScoringModel.objects.select_for_update().get(pk=model.pk)
    version = _publish(model=model, spec=spec_from_draft(model), by=by, note=note, now=now)
    _rescore_all(by=by, reason=f"Published {model.name} v{version.number}")
    return version


@transaction.atomic
def model_rollback(
    *,
    model: ScoringModel,
    version: ModelVersion,
    by: "User | None",
    now: datetime | None = None,
) -> ModelVersion:
    """Publish `version`'s definition as a new version; the draft becomes that definition."""
    if version.model_id != model.pk:
        raise DomainError("That version belongs to another model.", field="version")
    model = ScoringModel.objects.select_for_update().get(pk=model.pk)
    spec = ModelSpec.from_dict(version.definition)
    for name in ModelSpec.SETTINGS:
        setattr(model, name, getattr(spec, name))
    model.segment = version.definition["segment"]
    model.draft_changed_at = now or timezone.now()
    model.save(update_fields=[*ModelSpec.SETTINGS, "segment", "draft_changed_at", "updated_at"])
    for kind, cls in RULE_MODELS.items():
        cls.objects.filter(model=model).delete()
        rows = []
        for position, rule in enumerate(version.definition[kind], start=1):
            values = _validated_rule_values(kind, rule, rule["key"])
            rows.append(cls(model=model, key=rule["key"], position=position, **values))
        cls.objects.bulk_create(rows)
    note = f"Rolled back to version {version.number}"
    published = _publish(model=model, spec=spec, by=by, note=note, now=now)
    _rescore_all(
        by=by,
        reason=f"Rolled back {model.name} to v{version.number} (as v{published.number})",
    )
    return published


def _rescore_all(*, by: "User | None", reason: str) -> None:
    """A new version (or a change of which models score whom) needs a full rescore."""
    rescore_start(by=by, reason=reason)


def version_diff(a: ModelVersion, b: ModelVersion) -> dict:
    """What changed from version a to version b: settings, segment, and rules matched by key."""
    old, new = a.definition, b.definition
    diff: dict = {
        "settings": {
            name: {"from": old.get(name), "to": new.get(name)}
            for name in (*ModelSpec.SETTINGS, "segment")
            if old.get(name) != new.get(name)
        }
    }
    for kind in RULE_KINDS:
        before = {r["key"]: r for r in old.get(kind, [])}
        after = {r["key"]: r for r in new.get(kind, [])}
        diff[kind] = {
            "added": [after[k] for k in after if k not in before],
            "removed": [before[k] for k in before if k not in after],
            "changed": [
                {"from": before[k], "to": after[k]}
                for k in after
                if k in before and before[k] != after[k]
            ],
        }
    return diff


def _rule_rows(kind: str, rules: object, taken: set[str]) -> list[DraftRuleRow]:
    """Validated, unsaved rule rows of `kind` from a list of dicts; errors name `kind[i].field`."""
    if not isinstance(rules, list):
        raise DomainError("Send a list of rules.", field=kind)
    if len(rules) > MAX_RULES:
        raise DomainError(f"Use at most {MAX_RULES} rules.", field=kind)
    cls, rows = RULE_MODELS[kind], []
    for i, data in enumerate(rules):
        prefix = f"{kind}[{i}]."
        if not isinstance(data, dict):
            raise DomainError("Send each rule as an object.", field=f"{kind}[{i}]")
        key = data.get("key") or new_rule_key()
        if isinstance(key, str) and key in taken:
            raise DomainError("Rule keys must be unique within a model.", field=f"{prefix}key")
        values = RULE_KINDS[kind].from_dict({**data, "key": key}, prefix).to_dict()
        taken.add(values.pop("key"))
        rows.append(cls(key=key, position=i + 1, **values))
    return rows


@transaction.atomic
def model_rules_replace(
    *, model: ScoringModel, rules: dict[str, object], now: datetime | None = None
) -> ScoringModel:
    """Replace the draft's rule lists of the kinds given in `rules` (fit_rules, engagement_rules,
    disqualifiers), all or nothing. A rule that carries its `key` keeps it (so version diffs match
    it with the published rule); one without gets a new key. Kinds not given stay as they are."""
    unknown = set(rules) - set(RULE_MODELS)
    if unknown:
        raise DomainError("Unknown rule kind.", field=sorted(unknown)[0])
    if not rules:
        return model
    # One editor at a time: a second replace waits, then sees the first one's rules.
    ScoringModel.objects.select_for_update().only("pk").get(pk=model.pk)
    kept = [kind for kind in RULE_MODELS if kind not in rules]
    taken = {
        key
        for kind in kept
        for key in RULE_MODELS[kind].objects.filter(model=model).values_list("key", flat=True)
    }
    new_rows = {kind: _rule_rows(kind, rules[kind], taken) for kind in RULE_MODELS if kind in rules}
    for kind, rows in new_rows.items():
        cls = RULE_MODELS[kind]
        cls.objects.filter(model=model).delete()
        for row in rows:
            row.model = model
        cls.objects.bulk_create(rows)
    model.draft_changed_at = now or timezone.now()
    model.save(update_fields=["draft_changed_at", "updated_at"])
    return model


@transaction.atomic
def model_create_with_rules(
    *,
    data: dict,
    rules: dict[str, object],
    by: "User | None",
    now: datetime | None = None,
) -> ScoringModel:
    """model_create plus the draft's rule lists, in one transaction (nothing half-written)."""
    model = model_create(data=data, by=by, now=now)
    return model_rules_replace(model=model, rules=rules, now=now)


@transaction.atomic
def model_update_with_rules(
    *, model: ScoringModel, data: dict, rules: dict[str, object], now: datetime | None = None
) -> ScoringModel:
    """model_update plus replacing the rule lists given, in one transaction."""
    model = model_update(model=model, data=data, now=now)
    return model_rules_replace(model=model, rules=rules, now=now)


def model_delete(*, model: ScoringModel) -> None:
    """Delete a model with its draft, versions, scores and score history."""
    with transaction.atomic():
        # Locking the versions first waits for any chunk writing under one of them and stops
        # later ones (see scoring.engine.run): no score can appear after its model is gone.
        list(ModelVersion.objects.select_for_update().filter(model=model).values_list("pk"))
        ContactScore.objects.filter(model=model).delete()
        ScoreHistory.objects.filter(model=model).delete()
        ScoringModel.objects.filter(pk=model.pk).delete()

"""Which model scores a contact: the plan of active models, in the order they claim contacts.

A model takes part when it is active and has a published version (its newest one). A contact
belongs to the highest-priority model whose segment it matches (ties: by model name); lower
models see it "shadowed" and leave it out, and drop a score they held for it.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import connection
from django.db.models import OuterRef, Subquery

from scoring.engine import Scope, score_chunk
from scoring.engine.query import LruCache
from scoring.engine.run import scores_outside_plan_delete
from scoring.models import ModelVersion, ScoringModel
from scoring.spec import ModelSpec

Plan = list[dict]  # [{"model": id, "version": id}, ...], highest priority first


@dataclass(frozen=True)
class Step:
    version: ModelVersion
    shadowed_by: tuple  # segments (tuples of Conditions) of the models before this one
    spec: ModelSpec


@dataclass
class ScopeStats:
    scored: int = 0  # contacts that got (or kept) a score under some model
    changed: int = 0  # ContactScore rows written or deleted
    # contact id → the version under which it became MQL-eligible in this pass
    newly_eligible: dict[int, ModelVersion] | None = None


def plan_current() -> Plan:
    """The active models with a published version, highest priority first (ties: by name)."""
    newest = ModelVersion.objects.filter(model=OuterRef("pk")).order_by("-number").values("pk")[:1]
    rows = (
        ScoringModel.objects.filter(is_active=True)
        .annotate(version_id=Subquery(newest))
        .filter(version_id__isnull=False)
        .order_by("-priority", "name")
        .values_list("pk", "version_id")
    )
    return [{"model": model_id, "version": version_id} for model_id, version_id in rows]


# Parsed specs by their definition's canonical JSON: a version's definition never changes, and a
# worker scores with the same few versions all day (the incremental path parses nothing).
_SPECS = LruCache(size=64)


def _spec(version: ModelVersion) -> ModelSpec:
    key = json.dumps(version.definition, sort_keys=True, default=str)
    return _SPECS.get(key, lambda: ModelSpec.from_dict(version.definition))


def _steps(versions: Iterable[tuple[ModelVersion, ModelSpec]]) -> list[Step]:
    """Steps in plan order; each knows the segments of the models above it."""
    steps, above = [], []
    for version, spec in versions:
        steps.append(Step(version=version, shadowed_by=tuple(above), spec=spec))
        above.append(spec.segment)
    return steps


def plan_steps(plan: Plan) -> list[Step]:
    """Load the plan's versions; each step knows the segments of the models above it."""
    versions = ModelVersion.objects.select_related("model").in_bulk(
        [entry["version"] for entry in plan]
    )
    # A version deleted with its model since the plan was made is left out.
    loaded = [versions[entry["version"]] for entry in plan if entry["version"] in versions]
    return _steps((version, _spec(version)) for version in loaded)


# (version id, model name, definition text) → (ModelVersion with its model, parsed spec).
_CURRENT = LruCache(size=64)


def plan_current_steps() -> list[Step]:
    """plan_steps(plan_current()) in one small query: the incremental path runs it per task.

    The versions come from a cache keyed by what the query returns (the definition's text
    included, so a reused id can never return another definition); only a new version, or a
    renamed model, loads its row and parses its definition.
    """
    models, versions = ScoringModel._meta.db_table, ModelVersion._meta.db_table
    definition = "v.definition::text" if connection.vendor == "postgresql" else "v.definition"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.id, m.name, {definition} FROM {models} m"
            f" JOIN {versions} v ON v.model_id = m.id"
            f" WHERE m.is_active AND v.number = (SELECT max(number) FROM {versions}"
            " WHERE model_id = m.id) ORDER BY m.priority DESC, m.name"
        )
        rows = cursor.fetchall()

    def load(version_id: int) -> tuple[ModelVersion, ModelSpec]:
        version = ModelVersion.objects.select_related("model").get(pk=version_id)
        return version, _spec(version)

    return _steps(_CURRENT.get((pk, name, text), partial(load, pk)) for pk, name, text in rows)


def scope_score(*, steps: list[Step], scope: Scope, now: datetime) -> ScopeStats:
    """Score the contacts in `scope` under every model of the plan; write only what changed.

    Scores under models that are not in the plan (deactivated, never published) are deleted for
    these contacts. The caller holds the transaction.
    """
    stats = ScopeStats(newly_eligible={})
    plan_models = tuple(step.version.model_id for step in steps)
    if not steps:
        stats.changed += scores_outside_plan_delete(scope=scope, plan_models=())
    for i, step in enumerate(steps):
        chunk = score_chunk(
            version=step.version,
            now=now,
            scope=scope,
            shadowed_by=step.shadowed_by,
            spec=step.spec,
            plan_models=plan_models if i == 0 else None,  # stale scores: once per scope
        )
        stats.scored += chunk.scored
        stats.changed += chunk.changed + chunk.removed
        for contact_id in chunk.newly_eligible:
            stats.newly_eligible[contact_id] = step.version
    return stats

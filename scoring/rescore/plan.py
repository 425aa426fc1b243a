"""Which model scores a contact: the plan of active models, in the order they claim contacts.

A model takes part when it is active and has a published version (its newest one). A contact
belongs to the highest-priority model whose segment it matches (ties: by model name); lower
models see it "shadowed" and leave it out, and drop a score they held for it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Subquery

from scoring.engine import Scope, score_chunk
from scoring.models import ContactScore, ModelVersion, ScoringModel
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


def plan_steps(plan: Plan) -> list[Step]:
    """Load the plan's versions; each step knows the segments of the models above it."""
    versions = ModelVersion.objects.select_related("model").in_bulk(
        [entry["version"] for entry in plan]
    )
    steps, above = [], []
    for entry in plan:
        version = versions.get(entry["version"])
        if version is None:  # deleted with its model since the plan was made
            continue
        spec = ModelSpec.from_dict(version.definition)
        steps.append(Step(version=version, shadowed_by=tuple(above), spec=spec))
        above.append(spec.segment)
    return steps


def scope_score(*, steps: list[Step], scope: Scope, now: datetime) -> ScopeStats:
    """Score the contacts in `scope` under every model of the plan; write only what changed.

    Scores under models that are not in the plan (deactivated, never published) are deleted for
    these contacts. The caller holds the transaction.
    """
    stats = ScopeStats(newly_eligible={})
    stale = ContactScore.objects.exclude(model_id__in=[step.version.model_id for step in steps])
    if scope.ids:
        stale = stale.filter(contact_id__in=scope.ids)
    else:
        stale = stale.filter(contact_id__gte=scope.lo, contact_id__lte=scope.hi)
    stats.changed += stale.delete()[0]
    for step in steps:
        chunk = score_chunk(
            version=step.version, now=now, scope=scope, shadowed_by=step.shadowed_by
        )
        stats.scored += chunk.scored
        stats.changed += chunk.changed + chunk.removed
        for contact_id in chunk.newly_eligible:
            stats.newly_eligible[contact_id] = step.version
    return stats

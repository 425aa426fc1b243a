"""Preview a draft against the current data: who would be MQL-eligible under it, vs now.

Both the draft (`spec_from_draft`) and the latest published version are run through the same
generated statement as a rescore (`scoring.engine.scoring_query`) over every contact, with the
same segment and priority rules (contacts in the published segment of a model ahead of this one
are not this model's). The two result sets are staged in per-connection temporary tables (which
vanish with the transaction), then compared in SQL: one grouped count over their full outer join,
and two small ordered queries for example contacts. No score, history row or stage is written.

"By segment" is two breakdowns of the same numbers:
* by segment membership: contacts in both the draft's and the published segment, only in the
  draft's (the draft would start scoring them), only in the published one (the draft would stop);
* by the contacts' current lifecycle stage.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.db import analyze_missing
from leads.models import ActivityEvent, Company, Contact, LifecycleStage
from scoring.engine import Scope, scoring_query
from scoring.models import ScoringModel
from scoring.selectors import latest_version, shadowing_segments
from scoring.spec import ModelSpec, spec_from_draft

EVERYONE = Scope(lo=0, hi=2**62)
MAX_EXAMPLES = 50
WORK_MEM = "64MB"
MEMBERSHIP = {
    "both": "In both segments",
    "draft_only": "Only in the draft's segment",
    "published_only": "Only in the published segment",
}


@dataclass(frozen=True)
class SegmentDelta:
    label: str
    draft_eligible: int
    published_eligible: int
    gained: int
    lost: int
    group: str = "membership"  # "membership" or "stage"
    key: str = ""  # both / draft_only / published_only, or a lifecycle stage value
    contacts: int = 0  # contacts of this group scored by the draft or the published version


@dataclass(frozen=True)
class DraftPreview:
    scored: int  # contacts the draft would score (in its segment, not taken by a model ahead)
    draft_eligible: int
    published_eligible: int  # 0 when nothing is published
    gained: int  # eligible under the draft, not under the published version
    lost: int  # eligible under the published version, not under the draft
    by_segment: list[SegmentDelta] = field(default_factory=list)
    gained_examples: list[dict] = field(default_factory=list)
    lost_examples: list[dict] = field(default_factory=list)
    published_scored: int = 0
    published_version: int | None = None
    computed_at: datetime | None = None


def _tables() -> tuple[str, str]:
    schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
    return f"{schema}.scoring_preview_draft", f"{schema}.scoring_preview_published"


def _stage(cursor, table: str, spec: ModelSpec | None, now, shadowed_by, empty_like: str = ""):
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    if spec is None:  # nothing published: an empty table of the same shape
        cursor.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {empty_like} WHERE 1 = 0")
        return
    query = scoring_query(spec, now=now, scope=EVERYONE, shadowed_by=shadowed_by)
    cursor.execute(
        f"CREATE TEMP TABLE {table} AS SELECT q.contact_id, q.total, q.mql_eligible"
        f" FROM ({query.text}) q",
        query.params,
    )


def _groups(cursor, draft: str, published: str) -> list[tuple]:
    cursor.execute(
        "SELECT CASE WHEN d.contact_id IS NULL THEN 'published_only'"
        " WHEN p.contact_id IS NULL THEN 'draft_only' ELSE 'both' END,"
        " c.lifecycle_stage, count(d.contact_id), count(p.contact_id),"
        " count(*) FILTER (WHERE d.mql_eligible),"
        " count(*) FILTER (WHERE p.mql_eligible),"
        " count(*) FILTER (WHERE d.mql_eligible AND NOT coalesce(p.mql_eligible, false)),"
        " count(*) FILTER (WHERE p.mql_eligible AND NOT coalesce(d.mql_eligible, false))"
        f" FROM {draft} d FULL OUTER JOIN {published} p ON p.contact_id = d.contact_id"
        f" JOIN {Contact._meta.db_table} c ON c.id = coalesce(d.contact_id, p.contact_id)"
        " GROUP BY 1, 2"
    )
    return cursor.fetchall()


def _examples(cursor, main: str, other: str, limit: int, main_is_draft: bool) -> list[dict]:
    """Contacts eligible in `main` but not in `other`, highest `main` total first."""
    cursor.execute(
        "SELECT c.id, c.email, c.first_name, c.last_name, co.name, m.total, o.total,"
        " c.lifecycle_stage"
        f" FROM {main} m LEFT JOIN {other} o ON o.contact_id = m.contact_id"
        f" JOIN {Contact._meta.db_table} c ON c.id = m.contact_id"
        f" LEFT JOIN {Company._meta.db_table} co ON co.id = c.company_id"
        " WHERE m.mql_eligible AND NOT coalesce(o.mql_eligible, false)"
        " ORDER BY m.total DESC, c.id LIMIT %s",
        [limit],
    )
    examples = []
    for cid, email, first, last, company, main_total, other_total, stage in cursor.fetchall():
        draft_total, published_total = (
            (main_total, other_total) if main_is_draft else (other_total, main_total)
        )
        examples.append(
            {
                "contact_id": cid,
                "email": email,
                "name": f"{first} {last}".strip(),
                "company": company or "",
                "lifecycle_stage": stage,
                "draft_total": None if draft_total is None else float(draft_total),
                "published_total": None if published_total is None else float(published_total),
            }
        )
    return examples


def _summarise(rows: list[tuple]) -> tuple[dict, list[SegmentDelta]]:
    """Totals and the two breakdowns from the grouped rows (a handful: membership × stage)."""
    names = ("scored", "published_scored", "draft_eligible", "published_eligible", "gained", "lost")
    totals = dict.fromkeys(names, 0)
    by: dict[tuple[str, str], dict] = {}
    for membership, stage, *numbers in rows:
        for group, key in (("membership", membership), ("stage", stage)):
            acc = by.setdefault((group, key), dict.fromkeys(names, 0))
            for name, n in zip(names, numbers, strict=True):
                acc[name] += n
        for name, n in zip(names, numbers, strict=True):
            totals[name] += n
    stage_labels = dict(LifecycleStage.choices)
    order = {
        **{("membership", k): i for i, k in enumerate(MEMBERSHIP)},
        **{("stage", k): 10 + i for i, k in enumerate(LifecycleStage.values)},
    }
    deltas = [
        SegmentDelta(
            label=MEMBERSHIP.get(key, key) if group == "membership" else stage_labels.get(key, key),
            draft_eligible=acc["draft_eligible"],
            published_eligible=acc["published_eligible"],
            gained=acc["gained"],
            lost=acc["lost"],
            group=group,
            key=key,
            contacts=acc["scored"]
            if group == "stage"
            else max(acc["scored"], acc["published_scored"]),
        )
        for (group, key), acc in sorted(by.items(), key=lambda item: order.get(item[0], 99))
    ]
    return totals, deltas


def draft_preview(
    *, model: ScoringModel, now: datetime | None = None, examples: int = 5
) -> DraftPreview:
    """What publishing the draft would change, against the current data; writes nothing.

    Raises DomainError (naming the field) when the draft does not validate.
    """
    now = now or timezone.now()
    examples = max(0, min(int(examples), MAX_EXAMPLES))
    draft_spec = spec_from_draft(model)
    version = latest_version(model=model)
    published_spec = ModelSpec.from_dict(version.definition) if version else None
    shadowed_by = shadowing_segments(model=model)
    draft, published = _tables()
    analyze_missing(Contact, Company, ActivityEvent)  # never plan for a table without stats
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # For this transaction only: room for the per-contact event aggregate in memory
            # (the 4 MB default spills it to disk), and no JIT compilation, which costs more
            # than it saves on statements of this size.
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
        _stage(cursor, draft, draft_spec, now, shadowed_by)
        _stage(cursor, published, published_spec, now, shadowed_by, empty_like=draft)
        totals, deltas = _summarise(_groups(cursor, draft, published))
        gained = _examples(cursor, draft, published, examples, True) if examples else []
        lost = _examples(cursor, published, draft, examples, False) if examples else []
        cursor.execute(f"DROP TABLE {draft}")
        cursor.execute(f"DROP TABLE {published}")
    return DraftPreview(
        scored=totals["scored"],
        draft_eligible=totals["draft_eligible"],
        published_eligible=totals["published_eligible"],
        gained=totals["gained"],
        lost=totals["lost"],
        by_segment=deltas,
        gained_examples=gained,
        lost_examples=lost,
        published_scored=totals["published_scored"],
        published_version=version.number if version else None,
        computed_at=now,
    )

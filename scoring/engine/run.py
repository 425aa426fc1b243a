"""Run the generated query: compute without writing (preview), or stage and write changes only."""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from leads.models import Contact
from scoring.engine.dialect import Dialect
from scoring.engine.query import Scope, scoring_query
from scoring.models import ContactScore, ModelVersion, ScoreHistory
from scoring.spec import ModelSpec

SCORE_COLUMNS = ("fit", "engagement", "total", "grade", "mql_eligible", "blocked_by")


@dataclass(frozen=True)
class ContactResult:
    contact_id: int
    fit: float
    engagement: float
    total: float
    grade: str
    mql_eligible: bool
    blocked_by: str
    breakdown: tuple[tuple[str, float], ...]  # (rule key, points) for each rule that fired


@dataclass
class ChunkStats:
    scored: int = 0  # contacts in scope and in the segment
    changed: int = 0  # ContactScore rows inserted or updated
    history: int = 0  # ScoreHistory rows appended
    removed: int = 0  # scores deleted because the contact left the segment
    newly_eligible: list[int] = field(default_factory=list)  # became MQL-eligible in this run


def _breakdown(raw) -> tuple[tuple[str, float], ...]:
    items = json.loads(raw) if isinstance(raw, str) else raw
    return tuple((item["rule"], float(item["points"])) for item in items)


def compute_chunk(
    *, spec: ModelSpec, now: datetime, scope: Scope, shadowed_by: tuple = ()
) -> list[ContactResult]:
    """Scores for the contacts in `scope` (and the segment), computed in SQL, nothing written."""
    query = scoring_query(spec, now=now, scope=scope, shadowed_by=shadowed_by)
    with connection.cursor() as cursor:
        cursor.execute(query.text + " ORDER BY 1", query.params)
        rows = cursor.fetchall()
    return [
        ContactResult(
            contact_id=row[0],
            fit=float(row[1]),
            engagement=float(row[2]),
            total=float(row[3]),
            grade=row[4],
            mql_eligible=bool(row[5]),
            blocked_by=row[6],
            breakdown=_breakdown(row[7]),
        )
        for row in rows
    ]


def _changed(columns) -> str:
    return " OR ".join(f"cs.{c} <> s.{c}" for c in columns)


def score_chunk(
    *, version: ModelVersion, now: datetime, scope: Scope, shadowed_by: tuple = ()
) -> ChunkStats:
    """Score `scope` under `version` and write only what changed, set-based.

    The result is staged in a temp table, compared with the current scores, and only real
    changes are written: the ContactScore row (insert/update), plus a ScoreHistory row when a
    score column changed (not for a new version giving the same score). Running it twice with
    the same data and `now` writes nothing the second time. Contacts in scope that left the
    segment lose their score for this model.
    """
    spec = ModelSpec.from_dict(version.definition)
    stage = Dialect(connection.vendor).stage_table
    query = scoring_query(spec, now=now, scope=scope, shadowed_by=shadowed_by)
    cs_table, hist_table = ContactScore._meta.db_table, ScoreHistory._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    join = (
        f"FROM {stage} s LEFT JOIN {cs_table} cs"
        " ON cs.contact_id = s.contact_id AND cs.model_id = %s"
    )
    score_changed = f"cs.id IS NULL OR {_changed(SCORE_COLUMNS)}"
    row_changed = f"{score_changed} OR cs.model_version_id <> %s OR cs.breakdown <> s.breakdown"
    stats = ChunkStats()
    model_id, version_id = version.model_id, version.pk
    scope_sql, scope_params = scope.sql("contact_id")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(f"CREATE TEMP TABLE {stage} AS {query.text}", query.params)
        cursor.execute(f"SELECT count(*) FROM {stage}")
        stats.scored = cursor.fetchone()[0]
        cursor.execute(
            f"DELETE FROM {cs_table} WHERE model_id = %s AND {scope_sql}"
            f" AND contact_id NOT IN (SELECT contact_id FROM {stage})",
            [model_id, *scope_params],
        )
        stats.removed = cursor.rowcount
        cursor.execute(
            f"SELECT s.contact_id {join} WHERE s.mql_eligible"
            " AND (cs.id IS NULL OR NOT cs.mql_eligible) ORDER BY 1",
            [model_id],
        )
        stats.newly_eligible = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(SCORE_COLUMNS)
        picked = ", ".join(f"s.{c}" for c in SCORE_COLUMNS)
        cursor.execute(
            f"INSERT INTO {hist_table} (contact_id, model_id, model_version_id, {columns},"
            f" recorded_at) SELECT s.contact_id, %s, %s, {picked}, %s {join}"
            f" WHERE {score_changed}",
            [model_id, version_id, at, model_id],
        )
        stats.history = cursor.rowcount
        updates = ", ".join(
            f"{c} = excluded.{c}"
            for c in ("model_version_id", *SCORE_COLUMNS, "breakdown", "scored_at")
        )
        cursor.execute(
            f"INSERT INTO {cs_table} (contact_id, model_id, model_version_id, {columns},"
            f" breakdown, scored_at) SELECT s.contact_id, %s, %s, {picked}, s.breakdown, %s"
            f" {join} WHERE {row_changed}"
            f" ON CONFLICT (contact_id, model_id) DO UPDATE SET {updates}",
            [model_id, version_id, at, model_id, version_id],
        )
        stats.changed = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
    return stats


def contact_id_chunks(size: int = 20_000) -> list[tuple[int, int]]:
    """Id ranges covering every contact, for splitting a full rescore into chunk tasks."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {Contact._meta.db_table}")
        low, high = cursor.fetchone()
    if low is None:
        return []
    return [(lo, min(lo + size - 1, high)) for lo in range(low, high + 1, size)]

"""The set-based scoring engine: SQL generated from a ModelSpec, run per chunk of contacts."""

from scoring.engine.query import Scope, scoring_query, window_start
from scoring.engine.run import (
    ChunkStats,
    ContactResult,
    compute_anchored,
    compute_chunk,
    contact_id_chunks,
    score_chunk,
)

__all__ = [
    "ChunkStats",
    "ContactResult",
    "compute_anchored",
    "Scope",
    "compute_chunk",
    "contact_id_chunks",
    "score_chunk",
    "scoring_query",
    "window_start",
]

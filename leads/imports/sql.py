"""SQL helpers shared by the event ingest and the imports."""

from django.db import connections, router
from django.db.models.expressions import RawSQL

from leads.models import ActivityEvent


def is_postgres() -> bool:
    """Whether the events and contacts are written to PostgreSQL."""
    return connections[router.db_for_write(ActivityEvent)].vendor == "postgresql"


def one_of(values, pg_type: str):
    """The right-hand side of an __in lookup: one array parameter on PostgreSQL."""
    values = list(values)
    if is_postgres():
        return RawSQL(f"SELECT unnest(%s::{pg_type}[])", [values])
    return values

"""Server settings the app depends on, checked where a database is at hand: every `migrate` (and
so `make run` and each deploy) and `manage.py check --database default` print these warnings with
the exact setting to change. Each is a warning, never an error: a small install runs fine as is.
"""

from django.core.checks import Tags, Warning, register
from django.db import connections

# Below this many contacts the default shared_buffers (128 MB) holds the working set.
LARGE_INSTALL_CONTACTS = 100_000
SHARED_BUFFERS_FOR_LARGE_MB = 1024


def server_settings_warnings(*, autovacuum: str, shared_buffers_mb: int, contacts: int) -> list:
    """The warnings for these server settings and this many contacts (no database needed)."""
    found = []
    if autovacuum != "on":
        found.append(
            Warning(
                "PostgreSQL runs with autovacuum off: planner statistics and the visibility map "
                "go stale after every rescore, and scoring slows down.",
                hint='psql -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()"',
                id="core.W001",
            )
        )
    if contacts >= LARGE_INSTALL_CONTACTS and shared_buffers_mb < SHARED_BUFFERS_FOR_LARGE_MB:
        found.append(
            Warning(
                f"PostgreSQL's shared_buffers is {shared_buffers_mb} MB for about "
                f"{contacts:,} contacts: a full rescore reads the events index from disk.",
                hint="psql -c \"ALTER SYSTEM SET shared_buffers = '2GB'\", then restart "
                "PostgreSQL (docs: Operations, PostgreSQL settings).",
                id="core.W002",
            )
        )
    return found


@register(Tags.database)
def postgresql_settings(databases=None, **kwargs) -> list:
    found = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('autovacuum'),"
                " (SELECT setting::bigint * 8 / 1024 FROM pg_settings"
                "  WHERE name = 'shared_buffers'),"
                " (SELECT greatest(reltuples, 0)::bigint FROM pg_class"
                "  WHERE oid = to_regclass('leads_contact'))"
            )
            autovacuum, shared_buffers_mb, contacts = cursor.fetchone()
        found += server_settings_warnings(
            autovacuum=autovacuum, shared_buffers_mb=shared_buffers_mb, contacts=contacts or 0
        )
    return found

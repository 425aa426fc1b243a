"""The server settings check: warnings with the exact setting to change, and only where they
matter."""

import pytest
from django.core.checks import run_checks
from django.db import connection

from core.checks import server_settings_warnings


def ids(warnings) -> set[str]:
    return {w.id for w in warnings}


def test_autovacuum_off_is_a_warning_whatever_the_size():
    found = server_settings_warnings(autovacuum="off", shared_buffers_mb=128, contacts=10)
    assert ids(found) == {"core.W001"}
    assert "ALTER SYSTEM SET autovacuum = on" in found[0].hint


def test_small_buffers_warn_only_for_a_large_install():
    assert server_settings_warnings(autovacuum="on", shared_buffers_mb=128, contacts=2_000) == []
    found = server_settings_warnings(autovacuum="on", shared_buffers_mb=128, contacts=1_000_000)
    assert ids(found) == {"core.W002"}
    assert "shared_buffers = '2GB'" in found[0].hint
    assert server_settings_warnings(autovacuum="on", shared_buffers_mb=2048, contacts=10**6) == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's settings")
def test_the_check_reads_this_server():
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        autovacuum = cursor.fetchone()[0]
    found = ids(run_checks(databases=["default"], tags=["database"]))
    assert ("core.W001" in found) == (autovacuum == "off")
    assert "core.W002" not in found  # the test database holds no contacts

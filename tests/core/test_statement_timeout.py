import time

import pytest
from django.db import connection
from django.test import override_settings

from handoff.tasks import sla_scan
from scoring.tasks import rescore_scheduled_task

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is a PostgreSQL setting"
)


@pytest.fixture(autouse=True)
def _no_limit_afterwards():
    """The one-second limit must not outlive the test (the database flush after it is slower)."""
    yield
    from core.statement_timeout import statement_timeout_set

    statement_timeout_set(seconds=0)


def _timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("tests.core.timeout_urls")
@override_settings(DB_STATEMENT_TIMEOUT=1)
def test_a_runaway_api_statement_ends_in_a_clear_503_not_a_held_worker(client):
    started = time.monotonic()
    response = client.get("/api/v1/slow/")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert "longer than the server allows (1 s" in response.json()["detail"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("tests.core.timeout_urls")
@override_settings(DB_STATEMENT_TIMEOUT=1)
def test_a_runaway_page_statement_shows_a_page_that_says_so(client):
    response = client.get("/slow/")
    assert response.status_code == 503
    assert "That took too long" in response.content.decode()


@pytest.mark.django_db
def test_web_requests_run_under_the_web_limit(client, rep):
    client.force_login(rep)
    with override_settings(DB_STATEMENT_TIMEOUT=7):
        assert client.get("/queue/").status_code == 200
    assert _timeout() == "7s"


@pytest.mark.django_db
def test_each_kind_of_task_runs_under_its_own_limit(settings):
    settings.DB_TASK_STATEMENT_TIMEOUT = 120
    sla_scan.apply()
    assert _timeout() == "2min"
    rescore_scheduled_task.apply()
    assert _timeout() == "15min"

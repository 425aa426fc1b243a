import pytest
from django.db import connection

from core.db import retry_lock_conflicts
from core.exceptions import ConflictError

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the error codes are PostgreSQL's"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("tests.core.refused_urls")
def test_a_deadlock_reaching_an_api_view_is_a_409_in_json(client):
    client.raise_request_exception = False
    response = client.post("/api/v1/deadlocked/", {}, content_type="application/json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert "nothing was saved" in response.json()["detail"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls("tests.core.refused_urls")
def test_a_deadlock_reaching_a_page_shows_the_refused_page(client):
    client.raise_request_exception = False
    response = client.get("/deadlocked/")
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else got there first" in body
    assert 'href="/"' in body or "Home" in body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_lock_conflict_is_retried_then_becomes_a_conflict_error():
    calls = []

    @retry_lock_conflicts(attempts=3)
    def always_refused():
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END $$")

    with pytest.raises(ConflictError):
        always_refused()
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retried_transaction_that_then_succeeds_returns_its_result():
    calls = []

    @retry_lock_conflicts
    def refused_once():
        calls.append(1)
        if len(calls) == 1:
            with connection.cursor() as cursor:
                cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '55P03'; END $$")
        return "done"

    assert refused_once() == "done"
    assert len(calls) == 2

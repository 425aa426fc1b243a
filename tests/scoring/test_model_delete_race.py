"""Score rows carry no database foreign keys: the engine holds the version it writes under for
the statement, and model_delete locks its versions first. A chunk and a model delete racing on
PostgreSQL leave no score behind a deleted model, whichever starts first.

A separate database session plays the other side and holds its locks while the code under test
queues behind them, in a thread with its own connection.
"""

import threading

import pytest
from django.db import connection, connections

from scoring.models import ContactScore, ModelVersion, ScoreHistory, ScoringModel
from scoring.rescore import contacts_rescore
from scoring.services import model_delete
from tests.factories import ContactFactory, published_model
from tests.scoring.conftest import NOW
from tests.sessions import session, wait_for_waiters

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _left_behind(model_id: int) -> tuple[int, int]:
    return (
        ContactScore.objects.filter(model_id=model_id).count(),
        ScoreHistory.objects.filter(model_id=model_id).count(),
    )


def test_a_chunk_queued_behind_a_model_delete_writes_nothing(marketer):
    model = published_model(by=marketer)
    contact = ContactFactory(job_title="CMO")
    monitor, deleter = session(autocommit=True), session()
    try:
        # The delete has locked the model's versions (as model_delete does first) ...
        deleter.execute(
            "SELECT id FROM scoring_modelversion WHERE model_id = %s FOR UPDATE", [model.pk]
        )
        chunk = _in_thread(lambda: contacts_rescore(contact_ids=[contact.pk], now=NOW))
        wait_for_waiters(monitor, 1)  # ... so the chunk waits for the version
        for table in ("scoring_contactscore", "scoring_scorehistory", "scoring_modelversion"):
            deleter.execute(f"DELETE FROM {table} WHERE model_id = %s", [model.pk])
        deleter.commit()  # (the rest of the model goes too; the versions are what matter)
        chunk.join(timeout=30)
    finally:
        deleter.close()
        monitor.close()
    assert not chunk.is_alive()
    assert _left_behind(model.pk) == (0, 0)


def test_a_model_delete_waits_for_a_chunk_writing_under_its_version(marketer):
    model = published_model(by=marketer)
    version = ModelVersion.objects.get(model=model)
    contact = ContactFactory(job_title="CMO")
    ContactScore.objects.filter(contact=contact).delete()  # the chunk below writes it
    monitor, chunk = session(autocommit=True), session()
    try:
        # A chunk holds the version (as the engine's statement does) and is about to commit ...
        chunk.execute(
            "SELECT 1 FROM scoring_modelversion WHERE id = %s FOR KEY SHARE", [version.pk]
        )
        deleting = _in_thread(lambda: model_delete(model=ScoringModel.objects.get(pk=model.pk)))
        wait_for_waiters(monitor, 1)  # ... so the delete waits before deleting any score
        chunk.execute(
            "INSERT INTO scoring_contactscore (contact_id, model_id, model_version_id, fit,"
            " engagement, total, grade, mql_eligible, blocked_by, breakdown, scored_at)"
            " VALUES (%s, %s, %s, 25, 0, 25, 'B', false, '', '[]', now())",
            [contact.pk, model.pk, version.pk],
        )
        chunk.commit()
        deleting.join(timeout=30)
    finally:
        chunk.close()
        monitor.close()
    assert not deleting.is_alive()
    assert not ScoringModel.objects.filter(pk=model.pk).exists()
    assert _left_behind(model.pk) == (0, 0)

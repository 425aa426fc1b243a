"""A decision racing a reassignment on PostgreSQL: both take the one lock order
(handoff.services.locking), so they queue instead of deadlocking, and the later one gets a
clear 409.

A separate database session holds the MQL's row while a reassignment and an accept queue
behind it, each in its own thread and connection; then it lets go.
"""

import threading
import time

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from core import roles
from feedback.models import Decision
from handoff.models import MemberRole, Mql, MqlStatus
from handoff.services import mqls_assign, mqls_open
from leads.models import Contact, LifecycleStage
from tests.factories import ContactFactory, TeamMemberFactory, user_with_role
from tests.sessions import deadlocks as _deadlocks
from tests.sessions import session as _session
from tests.sessions import wait_for_waiters as _wait_for_waiters

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _post_in_thread(user, path, payload, answers, key):
    def run():
        try:
            client = APIClient()
            client.force_authenticate(user)
            client.raise_request_exception = False
            answers[key] = client.post(path, payload, format="json")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _open_mqls(n):
    contacts = [ContactFactory(lifecycle_stage=LifecycleStage.MQL) for _ in range(n)]
    ids = mqls_open(contact_ids=[c.pk for c in contacts])
    mqls_assign(mql_ids=ids)
    return list(Mql.objects.filter(pk__in=ids).order_by("pk"))


def _race(*, held: Mql, reassign: tuple[str, dict], accept: Mql, by, owner_user) -> dict:
    """Hold `held`'s row, queue the reassignment then the accept behind it, let go."""
    answers = {}
    monitor = _session(autocommit=True)
    before = _deadlocks(monitor)
    holder = _session()
    holder.execute("SELECT id FROM handoff_mql WHERE id = %s FOR UPDATE", [held.pk])
    threads = [_post_in_thread(by, *reassign, answers, "reassign")]
    _wait_for_waiters(monitor, 1)
    threads.append(
        _post_in_thread(owner_user, f"/api/v1/mqls/{accept.pk}/accept/", {}, answers, "accept")
    )
    _wait_for_waiters(monitor, 2)
    holder.rollback()
    holder.close()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    deadlocks = before
    for _ in range(20):  # the counter reaches the statistics within a second
        deadlocks = _deadlocks(monitor)
        if deadlocks != before:
            break
        time.sleep(0.1)
    monitor.close()
    assert deadlocks == before, "PostgreSQL broke a deadlock between the two"
    return answers


def _assert_one_won(answers, mql: Mql, new_owner):
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [200, 409] or codes == [201, 409], {k: a.content for k, a in answers.items()}
    mql.refresh_from_db()
    contact = Contact.objects.get(pk=mql.contact_id)
    if answers["reassign"].status_code == 200:  # the reassignment won: still open, moved
        assert answers["accept"].status_code == 409
        assert mql.status == MqlStatus.OPEN and mql.owner_id == new_owner.pk
        assert contact.owner_id == new_owner.pk
        assert contact.lifecycle_stage == LifecycleStage.MQL
        assert not Decision.objects.filter(mql=mql).exists()
    else:  # the decision won: accepted, not moved
        assert answers["reassign"].status_code == 409
        assert mql.status == MqlStatus.ACCEPTED and mql.owner_id != new_owner.pk
        assert contact.lifecycle_stage == LifecycleStage.SQL
        assert Decision.objects.filter(mql=mql).count() == 1
    assert "meanwhile" in str(answers["reassign" if codes[0] == 201 else "accept"].json())


def test_a_reassignment_and_an_accept_queued_on_one_mql_end_without_a_deadlock(
    team, reps, team_manager, version
):
    [mql] = _open_mqls(1)
    new_owner = next(r for r in reps if r.pk != mql.owner_id)
    answers = _race(
        held=mql,
        reassign=(f"/api/v1/mqls/{mql.pk}/reassign/", {"owner": new_owner.pk}),
        accept=mql,
        by=team_manager,
        owner_user=mql.owner,
    )
    _assert_one_won(answers, mql, new_owner)


def test_a_bulk_reassignment_and_an_accept_queued_on_its_last_mql_end_without_a_deadlock(
    team, reps, team_manager, version
):
    first, last = _open_mqls(2)
    new_owner = user_with_role(roles.SALES_REP, username="rep3")
    TeamMemberFactory(team=team, user=new_owner, role=MemberRole.REP)
    answers = _race(
        held=last,
        reassign=("/api/v1/mqls/reassign/", {"mqls": [first.pk, last.pk], "owner": new_owner.pk}),
        accept=last,
        by=team_manager,
        owner_user=last.owner,
    )
    _assert_one_won(answers, last, new_owner)
    first.refresh_from_db()
    # all or nothing: the first moved exactly when the last did
    assert (first.owner_id == new_owner.pk) == (answers["reassign"].status_code == 200)

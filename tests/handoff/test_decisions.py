import threading
from datetime import timedelta

import pytest
from django.db import connection

from core import roles
from core.exceptions import ConflictError, DomainError
from feedback.models import Decision, Disposition, Outcome, RejectReason
from feedback.services import mql_accept, mql_reject
from handoff.models import AssignedBy, Assignment, Mql, MqlStatus, Notification, SlaClock, SlaKind
from handoff.services import (
    mql_touch,
    mqls_assign,
    mqls_open,
    mqls_reassign,
)
from leads.models import LifecycleStage, StageChange
from tests.factories import ContactFactory, user_with_role
from tests.handoff.conftest import NOW


@pytest.fixture
def mql(team, reps):
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL, source="webinar", campaign="q2")
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=NOW - timedelta(hours=5))
    mqls_assign(mql_ids=[mql_id], now=NOW - timedelta(hours=4))
    return Mql.objects.select_related("contact", "owner").get(pk=mql_id)


@pytest.fixture
def reason(db):
    return RejectReason.objects.get(code="no_budget")


def test_accepting_makes_the_contact_an_sql_and_records_the_decision(mql):
    decision = mql_accept(mql=mql, by=mql.owner, note="Call booked", now=NOW)

    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == LifecycleStage.SQL
    change = StageChange.objects.filter(contact=mql.contact).latest("pk")
    assert (change.actor_user, change.to_stage) == (mql.owner, LifecycleStage.SQL)
    assert decision.outcome == Outcome.ACCEPT
    assert decision.time_to_decision == timedelta(hours=5)
    assert (decision.source, decision.campaign, decision.team) == ("webinar", "q2", mql.team)
    assert Mql.objects.get(pk=mql.pk).status == MqlStatus.ACCEPTED
    assert not SlaClock.objects.filter(mql=mql, stopped_at__isnull=True).exists()


@pytest.mark.parametrize("disposition", [Disposition.NURTURE, Disposition.DISQUALIFIED])
def test_rejecting_records_the_reason_and_recycles_or_disqualifies(mql, reason, disposition):
    decision = mql_reject(
        mql=mql, by=mql.owner, reason=reason, comment="Next year", disposition=disposition, now=NOW
    )

    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == disposition
    assert (decision.reason, decision.comment, decision.disposition) == (
        reason,
        "Next year",
        disposition,
    )
    change = StageChange.objects.filter(contact=mql.contact).latest("pk")
    assert "No budget" in change.reason


def test_a_rejection_needs_an_active_reason_and_a_disposition(mql, reason):
    with pytest.raises(DomainError) as raised:
        mql_reject(mql=mql, by=mql.owner, reason=None, disposition=Disposition.NURTURE)
    assert raised.value.field == "reason"
    RejectReason.objects.filter(pk=reason.pk).update(is_active=False)
    reason.refresh_from_db()
    with pytest.raises(DomainError):
        mql_reject(mql=mql, by=mql.owner, reason=reason, disposition=Disposition.NURTURE)
    reason.is_active = True
    with pytest.raises(DomainError) as raised:
        mql_reject(mql=mql, by=mql.owner, reason=reason, disposition="lost")
    assert raised.value.field == "disposition"
    assert not Decision.objects.exists()


def test_a_second_decision_is_a_conflict_and_changes_nothing(mql, reason):
    mql_accept(mql=mql, by=mql.owner, now=NOW)
    stale = Mql.objects.get(pk=mql.pk)
    stale.status = MqlStatus.OPEN  # a page loaded before the first decision
    with pytest.raises(ConflictError):
        mql_reject(mql=stale, by=mql.owner, reason=reason, disposition=Disposition.NURTURE)
    assert Decision.objects.get().outcome == Outcome.ACCEPT


def test_a_rep_cannot_act_on_someone_elses_mql(mql, reps):
    other = next(r for r in reps if r != mql.owner)
    with pytest.raises(DomainError):
        mql_accept(mql=mql, by=other)
    with pytest.raises(DomainError):
        mql_touch(mql=mql, by=other, kind="call")
    assert not Decision.objects.exists()


def test_a_manager_of_the_team_acts_for_it_and_another_manager_cannot(mql, team_manager):
    outsider = user_with_role(roles.SALES_MANAGER, username="other_boss")
    with pytest.raises(DomainError):
        mql_accept(mql=mql, by=outsider)
    assert mql_accept(mql=mql, by=team_manager).by == team_manager


def test_the_first_touch_stops_the_first_touch_clock_once(mql):
    mql_touch(mql=mql, by=mql.owner, kind="call", note="Voicemail", now=NOW)
    mql_touch(mql=mql, by=mql.owner, kind="email", now=NOW + timedelta(hours=1))

    clock = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH)
    assert clock.stopped_at == NOW
    assert Mql.objects.get(pk=mql.pk).first_touch_at == NOW
    assert SlaClock.objects.get(mql=mql, kind=SlaKind.DECISION).stopped_at is None
    with pytest.raises(DomainError) as raised:
        mql_touch(mql=mql, by=mql.owner, kind="fax")
    assert raised.value.field == "kind"


def test_reassigning_moves_logs_and_notifies_and_a_stale_decision_conflicts(
    mql, reps, team_manager
):
    new_owner = next(r for r in reps if r != mql.owner)
    old_owner = mql.owner
    stale = Mql.objects.get(pk=mql.pk)

    mqls_reassign(mqls=[mql], owner=new_owner, by=team_manager, now=NOW, note="Holiday")

    moved = Mql.objects.get(pk=mql.pk)
    assert moved.owner == new_owner
    log = Assignment.objects.filter(mql=mql).latest("at")
    assert (log.how, log.previous_owner, log.by) == (AssignedBy.REASSIGNED, old_owner, team_manager)
    assert Notification.objects.filter(user=new_owner, message__contains="gave you").exists()
    with pytest.raises(ConflictError):
        mql_accept(mql=stale, by=team_manager)
    assert not Decision.objects.exists()


def test_only_a_rep_of_a_team_the_manager_manages_can_be_given_mqls(mql, team_manager):
    stranger = user_with_role(roles.SALES_REP, username="stranger")
    with pytest.raises(DomainError) as raised:
        mqls_reassign(mqls=[mql], owner=stranger, by=team_manager)
    assert raised.value.field == "owner"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_deciding_at_once_record_exactly_one_decision(team, reps, team_manager):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    reason = RejectReason.objects.get(code="no_need")
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=NOW)
    mqls_assign(mql_ids=[mql_id], now=NOW)
    mql = Mql.objects.select_related("contact", "owner").get(pk=mql_id)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(decide):
        try:
            barrier.wait(timeout=10)
            decide(Mql.objects.select_related("contact").get(pk=mql_id))
            outcomes.append("won")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(lambda m: mql_accept(mql=m, by=mql.owner),)),
        threading.Thread(
            target=act,
            args=(
                lambda m: mql_reject(
                    mql=m, by=team_manager, reason=reason, disposition=Disposition.NURTURE
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["conflict", "won"]
    assert Decision.objects.filter(mql_id=mql_id).count() == 1
    contact.refresh_from_db()
    decision = Decision.objects.get(mql_id=mql_id)
    expected = LifecycleStage.SQL if decision.outcome == Outcome.ACCEPT else LifecycleStage.NURTURE
    assert contact.lifecycle_stage == expected
    assert StageChange.objects.filter(contact=contact, from_stage=LifecycleStage.MQL).count() == 1

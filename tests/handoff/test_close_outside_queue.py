"""An open MQL whose contact leaves stage `mql` otherwise than by the queue's accept / reject is
closed: who and why are recorded, its clocks stop, it leaves the queue, and it never breaches."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import ConflictError
from feedback.models import Decision, Disposition, RejectReason
from feedback.services import mql_accept, mql_reject
from handoff.models import Breach, Mql, MqlStatus, Notification, SlaClock
from handoff.services import breaches_record, mqls_open
from leads.models import LifecycleStage, StageChange
from leads.services import stage_change, stage_change_bulk
from tests.factories import open_mql

STAGE = "/api/v1/contacts/{}/stage/"


def queue_ids(api_as, user) -> set[int]:
    return {row["id"] for row in api_as(user).get("/api/v1/queue/").json()["results"]}


def assert_closed_by(mql: Mql, change: StageChange) -> None:
    mql.refresh_from_db()
    assert (mql.status, mql.closed_by_change, mql.decided_at) == (
        MqlStatus.CLOSED,
        change,
        change.changed_at,
    )
    assert not SlaClock.objects.filter(mql=mql, stopped_at__isnull=True).exists()
    assert not Decision.objects.filter(mql=mql).exists()  # not sales' feedback


@pytest.mark.parametrize(
    ("to_stage", "who", "payload"),
    [
        ("nurture", "marketer", {}),
        ("disqualified", "marketer", {}),
        ("sql", "marketer", {}),
        ("lead", "admin", {}),  # back: admins only
        ("customer", "marketer", {"override": True}),  # a skip, with override
    ],
)
def test_a_stage_change_through_the_api_closes_the_open_mql(
    api_as, people, mqls, to_stage, who, payload
):
    mql = mqls["rep"]
    assert mql.pk in queue_ids(api_as, people["rep"])

    response = api_as(people[who]).post(
        STAGE.format(mql.contact_id),
        {"to_stage": to_stage, "reason": "Talked to them at the fair", **payload},
        format="json",
    )

    assert response.status_code == 200, response.content
    change = StageChange.objects.filter(contact=mql.contact).latest("pk")
    assert (change.from_stage, change.to_stage, change.actor_user) == ("mql", to_stage, people[who])
    assert_closed_by(mql, change)
    assert mql.pk not in queue_ids(api_as, people["rep"])
    assert mqls["other_rep"].pk in queue_ids(api_as, people["other_rep"])  # others untouched
    detail = api_as(people["rep"]).get(f"/api/v1/mqls/{mql.pk}/").json()
    assert detail["status"] == "closed"
    assert detail["closed"]["to_stage"] == to_stage
    assert detail["closed"]["by"] == people[who].username
    assert detail["closed"]["reason"] == "Talked to them at the fair"
    # The owner hears of it.
    [note] = Notification.objects.filter(user=people["rep"], message__contains="closed")
    assert f"moved to {to_stage} by {people[who].username}" in note.message


def test_a_closed_mql_never_breaches_and_leaves_the_queue_page(client, people, mqls):
    mql = mqls["rep"]
    stage_change(
        contact=mql.contact, to_stage=LifecycleStage.NURTURE, reason="Not now", by=people["admin"]
    )
    assert breaches_record(now=timezone.now() + timedelta(days=60)) == 2  # the other MQL's only
    assert not Breach.objects.filter(mql=mql).exists()
    client.force_login(people["rep"])
    assert "Ada Tester" not in client.get("/queue/").content.decode()
    page = client.get(f"/queue/{mql.pk}/").content.decode()
    assert "Closed outside the queue" in page and "Not now" in page and "admin" in page


def test_the_mql_page_says_who_closed_it(client, people, mqls):
    stage_change(
        contact=mqls["rep"].contact, to_stage=LifecycleStage.SQL, reason="Booked", by=people["rep"]
    )
    client.force_login(people["manager"])
    page = client.get(f"/queue/{mqls['rep'].pk}/").content.decode()
    assert "Closed outside the queue" in page and "Booked" in page and "rep1" in page
    assert not Notification.objects.filter(message__contains="closed").exists()  # own move


def test_a_bulk_move_out_of_mql_closes_each_mql_with_its_own_change(people, mqls):
    contacts = [mqls["rep"].contact_id, mqls["other_rep"].contact_id]
    changes = stage_change_bulk(
        contact_ids=contacts,
        to_stage=LifecycleStage.NURTURE,
        system="cleanup",
        reasons={contacts[0]: "stale", contacts[1]: "bounced"},
        from_stages=[LifecycleStage.MQL],
    )
    assert len(changes) == 2
    for change in changes:
        assert_closed_by(Mql.objects.get(contact_id=change.contact_id), change)
    assert Mql.objects.get(contact_id=contacts[1]).closed_by_change.reason == "bounced"


def test_the_queues_own_decisions_are_not_closures(people, mqls):
    reason = RejectReason.objects.get(code="no_budget")
    accepted = mql_accept(mql=mqls["rep"], by=people["rep"])
    rejected = mql_reject(
        mql=mqls["other_rep"],
        by=people["other_rep"],
        reason=reason,
        disposition=Disposition.NURTURE,
    )
    statuses = dict(Mql.objects.values_list("pk", "status"))
    assert statuses[accepted.mql_id] == MqlStatus.ACCEPTED
    assert statuses[rejected.mql_id] == MqlStatus.REJECTED
    assert not Mql.objects.filter(closed_by_change__isnull=False).exists()


def test_deciding_an_mql_closed_meanwhile_is_a_conflict(api_as, people, mqls):
    mql = mqls["rep"]  # the rep's page still shows it open
    stage_change(contact=mql.contact, to_stage="nurture", reason="Recycled", by=people["admin"])
    with pytest.raises(ConflictError):
        mql_accept(mql=mql, by=people["rep"])
    response = api_as(people["rep"]).post(f"/api/v1/mqls/{mql.pk}/accept/", {}, format="json")
    assert response.status_code == 409
    assert not Decision.objects.exists()


def test_a_contact_that_qualifies_again_gets_a_new_mql(people, mqls, version):
    old = mqls["rep"]
    stage_change(contact=old.contact, to_stage="nurture", reason="Later", by=people["admin"])
    stage_change(contact=old.contact, to_stage="mql", reason="Engaged again", system="scoring")

    new = Mql.objects.get(contact=old.contact, status=MqlStatus.OPEN)
    assert new.pk != old.pk
    assert Mql.objects.get(pk=old.pk).status == MqlStatus.CLOSED
    assert SlaClock.objects.filter(mql=new, stopped_at__isnull=True).exists()
    assert mqls_open(contact_ids=[old.contact_id]) == []  # already open: nothing twice


def test_a_contact_moved_to_mql_by_hand_lands_in_a_reps_queue(
    api_as, people, mqls, django_capture_on_commit_callbacks
):
    old = mqls["rep"]
    stage_change(contact=old.contact, to_stage="nurture", reason="Later", by=people["admin"])
    assert not Mql.objects.filter(contact=old.contact, status=MqlStatus.OPEN).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(people["marketer"]).post(
            STAGE.format(old.contact_id),
            {"to_stage": "mql", "reason": "Met them at the fair: ready for sales"},
            format="json",
        )

    assert response.status_code == 200, response.content
    new = Mql.objects.get(contact=old.contact, status=MqlStatus.OPEN)
    assert new.owner == people["rep"]  # routed on commit; the contact's owner keeps it
    assert new.pk in queue_ids(api_as, people["rep"])


def test_the_requalified_contact_is_queued_again_by_scoring(
    people, mqls, version, django_capture_on_commit_callbacks
):
    from scoring.rescore.qualify import contacts_mql_qualify

    old = mqls["rep"]
    stage_change(contact=old.contact, to_stage="nurture", reason="Later", by=people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        moved = contacts_mql_qualify(newly_eligible={old.contact_id: version}, now=timezone.now())
    assert moved == [old.contact_id]
    new = Mql.objects.get(contact=old.contact, status=MqlStatus.OPEN)
    assert new.pk != old.pk and new.owner == people["rep"]  # the contact's owner keeps it


def test_a_contact_without_an_open_mql_moves_as_before(people):
    mql = open_mql(owner_hint=people["rep"], first_name="Lin")
    Mql.objects.filter(pk=mql.pk).update(status=MqlStatus.ACCEPTED)
    change = stage_change(contact=mql.contact, to_stage="nurture", reason="x", by=people["admin"])
    assert change.to_stage == "nurture"
    assert Mql.objects.get(pk=mql.pk).closed_by_change is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_decision_racing_a_stage_change_ends_with_one_outcome_and_no_deadlock(team, reps):
    import threading

    from django.db import connection

    from handoff.services import mqls_assign
    from tests.factories import ContactFactory, user_with_role

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    from core import roles

    admin = user_with_role(roles.ADMIN, username="racer")
    outcomes = []
    for _ in range(5):  # a few rounds: either side may win each time
        contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
        [mql_id] = mqls_open(contact_ids=[contact.pk])
        mqls_assign(mql_ids=[mql_id])
        barrier = threading.Barrier(2)
        round_outcomes = {}

        def accept(mql_id=mql_id, barrier=barrier, out=round_outcomes):
            try:
                mql = Mql.objects.select_related("contact", "owner").get(pk=mql_id)
                barrier.wait(timeout=10)
                mql_accept(mql=mql, by=mql.owner)
                out["accept"] = "won"
            except ConflictError:
                out["accept"] = "conflict"
            finally:
                connection.close()

        def move(contact=contact, barrier=barrier, out=round_outcomes):
            try:
                barrier.wait(timeout=10)
                stage_change(contact=contact, to_stage="nurture", reason="Recycle", by=admin)
                out["move"] = "done"
            finally:
                connection.close()

        threads = [threading.Thread(target=accept), threading.Thread(target=move)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert round_outcomes.get("move") == "done"  # never a deadlock error
        mql = Mql.objects.get(pk=mql_id)
        if round_outcomes["accept"] == "won":  # accepted, then moved on from sql to nurture
            assert mql.status == MqlStatus.ACCEPTED and mql.closed_by_change is None
        else:
            assert mql.status == MqlStatus.CLOSED and not Decision.objects.filter(mql=mql).exists()
        outcomes.append(round_outcomes["accept"])
    assert set(outcomes) <= {"won", "conflict"}

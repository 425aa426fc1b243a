import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from handoff.models import (
    Breach,
    DurationUnit,
    Mql,
    Notification,
    SlaClock,
    SlaKind,
    SlaPolicy,
)
from handoff.services import breaches_record, mql_touch, mqls_assign, mqls_open
from handoff.tasks import sla_scan
from leads.models import LifecycleStage
from tests.factories import ContactFactory, WorkCalendarFactory

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_4PM = datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)  # the weekend brings the DST change


@pytest.fixture
def berlin_team(team):
    team.calendar = WorkCalendarFactory(
        name="Berlin office", time_zone="Europe/Berlin", country="DE"
    )
    team.save(update_fields=["calendar"])
    return team


def assigned_mql(at: datetime) -> Mql:
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
    [mql_id] = mqls_open(contact_ids=[contact.pk], now=at)
    mqls_assign(mql_ids=[mql_id], now=at)
    return Mql.objects.select_related("owner").get(pk=mql_id)


def test_clocks_count_the_teams_business_time_across_dst_and_holidays(berlin_team, reps):
    SlaPolicy.objects.filter(team=None, scoring_model=None).update(
        first_touch_amount=4, first_touch_unit=DurationUnit.BUSINESS_HOURS
    )
    mql = assigned_mql(FRIDAY_4PM)
    clocks = {c.kind: c for c in mql.clocks.all()}

    # 1 hour on Friday, 3 on Monday (after the clocks went forward).
    assert clocks[SlaKind.FIRST_TOUCH].due_at == datetime(2026, 3, 30, 12, 0, tzinfo=BERLIN)
    # 5 business days: Mon–Thu, then Good Friday and Easter Monday are holidays → Tuesday.
    assert clocks[SlaKind.DECISION].due_at == datetime(2026, 4, 7, 16, 0, tzinfo=BERLIN)
    # At risk after 75% of the 4 business hours: Monday 11:00.
    assert clocks[SlaKind.FIRST_TOUCH].at_risk_at == datetime(2026, 3, 30, 11, 0, tzinfo=BERLIN)


def test_a_breach_is_recorded_once_and_notifies_the_rep_and_the_manager(team, reps, team_manager):
    mql = assigned_mql(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    due = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH).due_at

    assert breaches_record(now=due - timedelta(seconds=1)) == 0
    assert breaches_record(now=due + timedelta(seconds=30)) == 1
    breach = Breach.objects.get()
    assert breaches_record(now=due + timedelta(minutes=2)) == 0

    assert (breach.kind, breach.breached_owner, breach.breached_team, breach.due_at) == (
        SlaKind.FIRST_TOUCH,
        mql.owner,
        mql.team,
        due,
    )
    assert Breach.objects.count() == 1
    notified = Notification.objects.filter(message__startswith="SLA breached").values_list(
        "user", flat=True
    )
    assert set(notified) == {mql.owner.pk, team_manager.pk}


def test_a_breached_clock_is_stopped_when_its_step_is_done_late(team, reps):
    mql = assigned_mql(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    due = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH).due_at
    breaches_record(now=due + timedelta(seconds=30))
    touched = due + timedelta(hours=2)
    mql_touch(mql=mql, by=mql.owner, kind="call", now=touched)

    clock = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH)
    assert (clock.breached_at, clock.stopped_at) == (due + timedelta(seconds=30), touched)
    assert Breach.objects.get().pk == clock.pk  # still a breach, the clock's own row
    # The queue now orders the MQL by its running decision clock.
    decision = SlaClock.objects.get(mql=mql, kind=SlaKind.DECISION)
    assert Mql.objects.get(pk=mql.pk).next_due_at == decision.due_at


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's HOT updates")
def test_the_breach_scan_rewrites_clocks_in_place_without_touching_an_index(team, reps):
    # Each clock marked breached is a heap-only-tuple update: no index names a column the scan
    # writes, and the pages keep room for the new row versions (fillfactor).
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for _ in range(30):
        assigned_mql(start)

    def updates() -> tuple[int, int]:  # this transaction's row updates, and the in-place ones
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                " WHERE relid = %s::regclass",
                [SlaClock._meta.db_table],
            )
            return cursor.fetchone()

    before = updates()
    assert breaches_record(now=start + timedelta(days=30)) == 60
    after = updates()
    assert (after[0] - before[0], after[1] - before[1]) == (60, 60)


def test_a_stopped_clock_never_breaches(team, reps):
    mql = assigned_mql(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    mql_touch(mql=mql, by=mql.owner, kind="call", now=datetime(2026, 6, 1, 10, tzinfo=UTC))
    far_future = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)  # past first touch, before decision
    assert breaches_record(now=far_future) == 0


def test_an_undelivered_mql_breaches_its_delivery_clock(db):
    contact = ContactFactory(lifecycle_stage=LifecycleStage.MQL)
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    mqls_open(contact_ids=[contact.pk], now=start)  # no team at all: nobody gets it
    assert breaches_record(now=start + timedelta(hours=24, seconds=1)) == 1
    breach = Breach.objects.get()
    assert breach.kind == SlaKind.DELIVERY
    assert breach.breached_owner is None


def test_the_scan_task_sends_one_summary_email_per_person_on_commit(
    team, reps, django_capture_on_commit_callbacks
):
    mql = assigned_mql(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))  # long overdue by now
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sla_scan()
    assert result["breaches"] == 2  # first touch and decision
    [email] = mail.outbox  # one summary per person and scan
    assert email.to == [mql.owner.email]
    assert "2 SLA breaches" in email.subject
    assert "First touch" in email.body and "Decision" in email.body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_scans_at_once_record_each_breach_once(team, reps):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for _ in range(20):
        assigned_mql(start)
    # Outside a test transaction the assignment queued on commit ran at once, on the real clock.
    later = timezone.now() + timedelta(days=30)
    barrier = threading.Barrier(2)
    counts = []

    def scan():
        try:
            barrier.wait(timeout=10)
            counts.append(breaches_record(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sum(counts) == 40 == Breach.objects.count()


def test_a_scan_tells_each_person_once_with_a_count_and_a_link_to_its_breaches(
    client, team, reps, team_manager, django_capture_on_commit_callbacks
):
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    mqls = [assigned_mql(start) for _ in range(12)]  # round-robin: 6 MQLs per rep
    earlier = mqls[0]
    later = start + timedelta(days=30)
    # One MQL was decided in time: its clocks stopped, it breaches nothing.
    SlaClock.objects.filter(mql=earlier).update(stopped_at=start + timedelta(hours=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        recorded = breaches_record(now=later)

    assert recorded == 22 == Breach.objects.count()  # 11 MQLs × (first touch, decision)
    rep = earlier.owner
    [note] = Notification.objects.filter(user=rep, created_at=later)
    assert note.message == "10 SLA breaches: 5 first touch, 5 decision"
    assert note.mql is None and note.url.startswith("/sla/breaches/?breached_at=")
    [boss_note] = Notification.objects.filter(user=team_manager, created_at=later)
    assert boss_note.message == "22 SLA breaches: 11 first touch, 11 decision"
    # The two reps and the manager, once each.
    assert Notification.objects.filter(created_at=later).count() == 3

    # The link lists exactly that scan's breaches of the reader.
    client.force_login(rep)
    body = client.get(note.url).content.decode()
    assert "10 breaches recorded by the SLA scan" in body
    assert body.count('<tr id="breach-') == 10
    client.force_login(team_manager)
    assert client.get(boss_note.url).content.decode().count('<tr id="breach-') == 22

    # One email per person: up to 20 lines, then the count of the rest and the link.
    by_person = {email.to[0]: email for email in mail.outbox}
    assert len(mail.outbox) == len(by_person) == 3
    boss_mail = by_person[team_manager.email]
    assert boss_mail.subject == "[LeadBridge] 22 SLA breaches"
    assert boss_mail.body.count("SLA breached: ") == 20
    assert "… and 2 more: " in boss_mail.body and boss_note.url in boss_mail.body
    assert by_person[rep.email].body.count("SLA breached: ") == 10


def test_a_single_breach_notifies_with_its_mql(team, reps):
    mql = assigned_mql(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    first_touch = SlaClock.objects.get(mql=mql, kind=SlaKind.FIRST_TOUCH)
    breaches_record(now=first_touch.due_at)
    [note] = Notification.objects.filter(user=mql.owner, message__startswith="SLA")
    assert note.message == f"SLA breached: First touch for {mql.contact}"
    assert (note.mql, note.url) == (mql, f"/queue/{mql.pk}/")

from collections import Counter
from datetime import timedelta

import pytest

from core import roles
from handoff.models import (
    AssignedBy,
    Assignment,
    Mql,
    Notification,
    SlaClock,
    SlaKind,
    TeamMember,
)
from handoff.services import mqls_assign, mqls_open, mqls_unassigned_retry
from leads.models import LifecycleStage
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    OutOfOfficeFactory,
    RoutingRuleFactory,
    TeamFactory,
    TeamMemberFactory,
    user_with_role,
)
from tests.handoff.conftest import NOW


def open_and_assign(contacts, now=NOW):
    ids = mqls_open(contact_ids=[c.pk for c in contacts], now=now)
    mqls_assign(mql_ids=ids, now=now)
    return list(Mql.objects.filter(pk__in=ids).order_by("pk"))


def mql_contact(**kwargs):
    return ContactFactory(lifecycle_stage=LifecycleStage.MQL, **kwargs)


def test_mql_goes_to_the_team_of_the_first_matching_rule(reps):
    dach = TeamFactory(name="DACH")
    software = TeamFactory(name="Software")
    dach_rep = user_with_role(roles.SALES_REP, username="hans")
    soft_rep = user_with_role(roles.SALES_REP, username="sam")
    TeamMemberFactory(team=dach, user=dach_rep)
    TeamMemberFactory(team=software, user=soft_rep)
    RoutingRuleFactory(
        name="DACH",
        position=1,
        team=dach,
        conditions=[{"field": "company.country", "operator": "in", "value": ["DE", "AT", "CH"]}],
    )
    RoutingRuleFactory(
        name="Software",
        position=2,
        team=software,
        conditions=[{"field": "company.industry", "operator": "equals", "value": "Software"}],
    )
    german = mql_contact(company=CompanyFactory(country="DE", industry="Software"))
    american = mql_contact(company=CompanyFactory(country="US", industry="Software"))
    french_retail = mql_contact(company=CompanyFactory(country="FR", industry="Retail"))

    by_contact = {m.contact_id: m for m in open_and_assign([german, american, french_retail])}

    assert by_contact[german.pk].owner == dach_rep
    assert by_contact[american.pk].owner == soft_rep
    assert by_contact[french_retail.pk].owner in reps  # the fallback team
    log = Assignment.objects.get(mql=by_contact[german.pk])
    assert (log.how, log.rule_name, log.team) == (AssignedBy.RULE, "DACH", dach)
    fallback_log = Assignment.objects.get(mql=by_contact[french_retail.pk])
    assert fallback_log.how == AssignedBy.FALLBACK


def test_weighted_round_robin_shares_new_mqls_by_weight(team):
    heavy = user_with_role(roles.SALES_REP, username="heavy")
    light = user_with_role(roles.SALES_REP, username="light")
    TeamMemberFactory(team=team, user=heavy, weight=2)
    TeamMemberFactory(team=team, user=light, weight=1)

    mqls = open_and_assign([mql_contact() for _ in range(9)])

    assert Counter(m.owner.username for m in mqls) == {"heavy": 6, "light": 3}


def test_reps_out_of_office_or_at_their_cap_get_nothing(team, reps):
    away, busy = reps
    OutOfOfficeFactory(user=away, starts_on=NOW.date(), ends_on=NOW.date())
    TeamMember.objects.filter(user=busy).update(max_open_mqls=2)

    mqls = open_and_assign([mql_contact() for _ in range(3)])

    assert [m.owner for m in mqls] == [busy, busy, None]
    waiting = Assignment.objects.get(mql=mqls[2])
    assert waiting.how == AssignedBy.NOBODY_AVAILABLE


def test_nobody_available_tells_the_managers_and_a_later_scan_assigns(team, reps, team_manager):
    for rep in reps:
        OutOfOfficeFactory(user=rep, starts_on=NOW.date(), ends_on=NOW.date())
    [mql] = open_and_assign([mql_contact()])
    assert mql.owner is None
    assert Notification.objects.filter(user=team_manager, mql=mql).count() == 1

    mqls_unassigned_retry(now=NOW)  # still away: nothing new, no second notification
    assert Notification.objects.filter(user=team_manager, mql=mql).count() == 1

    mqls_unassigned_retry(now=NOW + timedelta(days=1))
    mql.refresh_from_db()
    assert mql.owner in reps


def test_an_existing_owner_in_the_team_keeps_the_contact_and_its_company(team, reps):
    first, second = reps
    company = CompanyFactory()
    owned = mql_contact(owner=second, company=company)
    colleague = mql_contact(company=company)
    ContactFactory(owner=first)  # first has had more work: round-robin alone would pick second

    mqls = open_and_assign([owned, colleague])

    assert [m.owner for m in mqls] == [second, second]
    assert {a.how for a in Assignment.objects.filter(mql__in=mqls)} == {AssignedBy.EXISTING_OWNER}


def test_assignment_sets_the_owner_and_moves_the_sla_clocks(team, reps):
    contact = mql_contact()
    [mql] = open_and_assign([contact])

    contact.refresh_from_db()
    assert contact.owner == mql.owner
    clocks = {c.kind: c for c in SlaClock.objects.filter(mql=mql)}
    assert set(clocks) == {SlaKind.DELIVERY, SlaKind.FIRST_TOUCH, SlaKind.DECISION}
    assert clocks[SlaKind.DELIVERY].stopped_at == NOW
    assert clocks[SlaKind.DELIVERY].due_at == NOW + timedelta(hours=24)
    assert clocks[SlaKind.FIRST_TOUCH].started_at == NOW
    assert Notification.objects.filter(user=mql.owner, mql=mql).exists()


def test_opening_and_assigning_twice_changes_nothing_the_second_time(team, reps):
    contact = mql_contact()
    ids = mqls_open(contact_ids=[contact.pk], now=NOW)
    assert mqls_open(contact_ids=[contact.pk], now=NOW) == []
    assert mqls_assign(mql_ids=ids, now=NOW) == 1
    assert mqls_assign(mql_ids=ids, now=NOW) == 0
    assert Mql.objects.filter(contact=contact).count() == 1
    assert Assignment.objects.filter(mql_id__in=ids).count() == 1
    assert SlaClock.objects.filter(mql_id__in=ids).count() == 3


def test_opening_queues_the_assignment_on_commit(team, reps, django_capture_on_commit_callbacks):
    contact = mql_contact()
    with django_capture_on_commit_callbacks(execute=True):
        [mql_id] = mqls_open(contact_ids=[contact.pk], now=NOW)
    assert Mql.objects.get(pk=mql_id).owner in reps


@pytest.mark.parametrize("kind", ["rule", "fallback"])
def test_without_any_team_the_mql_waits_unassigned(db, kind):
    if kind == "rule":
        RoutingRuleFactory(name="Empty", team=TeamFactory(name="Empty"))
    [mql] = open_and_assign([mql_contact()])
    assert mql.owner is None
    assert Assignment.objects.get(mql=mql).how == AssignedBy.NOBODY_AVAILABLE

import pytest

from core.exceptions import DomainError
from leads.models import LifecycleStage as S
from leads.models import StageChange
from leads.selectors import stage_stays
from leads.services import stage_change
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_forward_move_appends_history_with_actor_and_reason(marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    stage_change(contact=contact, to_stage=S.MQL, reason="Scored 80", by=marketer)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.MQL
    last = StageChange.objects.filter(contact=contact).last()
    assert (last.from_stage, last.to_stage, last.actor_user, last.reason) == (
        S.LEAD,
        S.MQL,
        marketer,
        "Scored 80",
    )


def test_system_actor_is_recorded_by_name():
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    change = stage_change(contact=contact, to_stage=S.MQL, reason="rules fired", system="scoring")
    assert change.actor_label == "scoring" and change.actor_user is None


def test_skipping_stages_needs_override(marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    with pytest.raises(DomainError) as err:
        stage_change(contact=contact, to_stage=S.CUSTOMER, reason="signed", by=marketer)
    assert err.value.field == "override"
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.LEAD
    change = stage_change(
        contact=contact, to_stage=S.CUSTOMER, reason="signed", by=marketer, override=True
    )
    assert change.override is True


def test_moving_back_is_for_admins_only(marketer, admin_user):
    contact = ContactFactory(lifecycle_stage=S.SQL)
    with pytest.raises(DomainError):
        stage_change(contact=contact, to_stage=S.LEAD, reason="oops", by=marketer)
    stage_change(contact=contact, to_stage=S.LEAD, reason="wrongly qualified", by=admin_user)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.LEAD


@pytest.mark.parametrize("side", [S.NURTURE, S.DISQUALIFIED])
def test_anyone_may_move_back_to_a_side_stage(rep, side):
    contact = ContactFactory(lifecycle_stage=S.SQL, owner=rep)
    stage_change(contact=contact, to_stage=side, reason="not now", by=rep)
    contact.refresh_from_db()
    assert contact.lifecycle_stage == side


def test_nurtured_contact_can_qualify_again():
    contact = ContactFactory(lifecycle_stage=S.NURTURE)
    stage_change(contact=contact, to_stage=S.MQL, reason="engaged again", system="scoring")
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.MQL


def test_reason_is_required(marketer):
    contact = ContactFactory()
    with pytest.raises(DomainError) as err:
        stage_change(contact=contact, to_stage=S.MQL, reason="  ", by=marketer)
    assert err.value.field == "reason"


def test_same_stage_is_refused(marketer):
    contact = ContactFactory(lifecycle_stage=S.MQL)
    with pytest.raises(DomainError):
        stage_change(contact=contact, to_stage=S.MQL, reason="again", by=marketer)


def test_history_is_append_only():
    contact = ContactFactory()
    first = StageChange.objects.get(contact=contact)
    first.reason = "rewritten"
    with pytest.raises(ValueError):
        first.save()
    with pytest.raises(ValueError):
        first.delete()


def test_stage_stays_tell_when_each_stage_was_entered_and_for_how_long(marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    change = stage_change(contact=contact, to_stage=S.MQL, reason="qualified", by=marketer)
    stays = stage_stays(contact=contact)
    assert [s.stage for s in stays] == [S.LEAD, S.MQL]
    assert stays[0].left_at == change.changed_at
    assert stays[1].left_at is None
    assert stays[0].duration == change.changed_at - stays[0].entered_at

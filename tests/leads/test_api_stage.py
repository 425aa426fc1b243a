import pytest
from django.contrib.auth.models import Permission

from leads.models import LifecycleStage as S
from leads.models import StageChange
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def stage_url(contact) -> str:
    return f"/api/v1/contacts/{contact.pk}/stage/"


def move(client, contact, **payload):
    return client.post(stage_url(contact), payload, format="json")


def test_forward_move_changes_the_stage_and_appends_history(api_as, marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    resp = move(api_as(marketer), contact, to_stage="mql", reason="Downloaded the guide")
    assert resp.status_code == 200
    body = resp.json()
    assert body["lifecycle_stage"] == "mql"
    last = body["stage_history"][-1]
    assert (last["from"], last["to"], last["actor"], last["reason"], last["override"]) == (
        "lead",
        "mql",
        "marketer",
        "Downloaded the guide",
        False,
    )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.MQL


def test_skipping_stages_without_override_is_400_naming_override(api_as, marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    resp = move(api_as(marketer), contact, to_stage="customer", reason="Signed")
    assert resp.status_code == 400
    assert list(resp.json()) == ["override"]
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.LEAD
    assert StageChange.objects.filter(contact=contact).count() == 1


def test_skipping_stages_with_override_is_recorded_as_override(api_as, marketer):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    resp = move(api_as(marketer), contact, to_stage="customer", reason="Signed", override=True)
    assert resp.status_code == 200
    assert resp.json()["stage_history"][-1]["override"] is True


def test_moving_back_is_400_except_for_admins(api_as, marketer, admin_user):
    contact = ContactFactory(lifecycle_stage=S.SQL)
    resp = move(api_as(marketer), contact, to_stage="lead", reason="Oops")
    assert resp.status_code == 400
    assert list(resp.json()) == ["to_stage"]
    resp = move(api_as(admin_user), contact, to_stage="lead", reason="Wrongly qualified")
    assert resp.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to_stage": "king", "reason": "x"}, "to_stage"),
        ({"reason": "x"}, "to_stage"),
        ({"to_stage": "mql"}, "reason"),
        ({"to_stage": "mql", "reason": "   "}, "reason"),
        ({"to_stage": "mql", "reason": "x", "override": "perhaps"}, "override"),
        ({"to_stage": "lead", "reason": "x"}, "to_stage"),  # already there
    ],
)
def test_bad_input_is_400_naming_the_field(api_as, marketer, payload, field):
    contact = ContactFactory(lifecycle_stage=S.LEAD)
    resp = api_as(marketer).post(stage_url(contact), payload, format="json")
    assert resp.status_code == 400
    assert field in resp.json()
    assert StageChange.objects.filter(contact=contact).count() == 1


def test_malformed_json_is_400(api_as, marketer):
    contact = ContactFactory()
    resp = api_as(marketer).post(stage_url(contact), "{to_stage", content_type="application/json")
    assert resp.status_code == 400


def test_rep_moves_own_contact_but_not_someone_elses(api_as, rep, other_rep):
    mine = ContactFactory(owner=rep)
    theirs = ContactFactory(owner=other_rep)
    client = api_as(rep)
    assert move(client, mine, to_stage="mql", reason="Call went well").status_code == 200
    assert move(client, theirs, to_stage="mql", reason="Sneaky").status_code == 404
    theirs.refresh_from_db()
    assert theirs.lifecycle_stage == S.LEAD


def test_user_who_sees_the_contact_but_lacks_change_stage_gets_403(api_as):
    viewer = UserFactory()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_contact", "view_all_contacts"])
    )
    contact = ContactFactory()
    client = api_as(viewer)
    assert client.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200
    assert move(client, contact, to_stage="mql", reason="x").status_code == 403
    contact.refresh_from_db()
    assert contact.lifecycle_stage == S.LEAD


def test_anonymous_gets_401(api):
    contact = ContactFactory()
    assert move(api, contact, to_stage="mql", reason="x").status_code == 401

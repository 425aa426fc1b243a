"""The queue and MQL pages: who sees which MQL, and the actions through the page forms."""

import pytest
from django.urls import reverse

from feedback.models import Decision, RejectReason
from feedback.services import mql_accept
from handoff.models import Mql, MqlStatus, Notification, Touch
from leads.models import LifecycleStage

QUEUE = "/queue/"


def login(client, user):
    client.force_login(user)
    return client


def test_the_mql_url_name_reverses_for_notifications(mqls):
    mql = mqls["rep"]
    assert reverse("handoff:mql", args=[mql.pk]) == f"/queue/{mql.pk}/"
    note = Notification.objects.filter(mql=mql).first()
    assert note is not None and note.url == f"/queue/{mql.pk}/"


def test_anonymous_is_sent_to_login(client, mqls):
    for url in (QUEUE, f"/queue/{mqls['rep'].pk}/", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_rep_sees_only_their_own_open_mqls_with_why_and_sla(client, people, mqls):
    response = login(client, people["rep"]).get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ada Tester" in body and "Grace Tester" not in body
    assert "Acme Robotics" in body
    assert "Job title contains &#x27;head&#x27; → +60" in body  # the rule sentence
    assert 'class="sla sla-on_track"' in body
    assert "left" in body  # time left on the clock
    assert 'name="team"' not in body  # reps get no team/owner filters


def test_a_team_manager_sees_the_team_queue_and_filters_by_owner(client, people, mqls):
    login(client, people["manager"])
    body = client.get(QUEUE).content.decode()
    assert "Ada Tester" in body and "Grace Tester" in body
    body = client.get(QUEUE, {"owner": people["other_rep"].pk}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body


def test_an_outsider_manager_sees_nothing_of_the_team(client, people, mqls):
    body = login(client, people["outsider"]).get(QUEUE).content.decode()
    assert "Ada Tester" not in body and "Grace Tester" not in body
    assert client.get(f"/queue/{mqls['rep'].pk}/").status_code == 404


def test_an_admin_sees_every_open_mql(client, people, mqls):
    body = login(client, people["admin"]).get(QUEUE).content.decode()
    assert "Ada Tester" in body and "Grace Tester" in body


def test_a_marketer_may_not_open_the_queue(client, people, mqls):
    login(client, people["marketer"])
    assert client.get(QUEUE).status_code == 403
    assert client.get(f"/queue/{mqls['rep'].pk}/").status_code == 403


def test_search_and_sla_filters_narrow_the_list_and_htmx_gets_only_the_results(
    client, people, mqls
):
    login(client, people["manager"])
    body = client.get(QUEUE, {"search": "hopper"}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body
    body = client.get(QUEUE, {"sla": "breached"}).content.decode()
    assert "Grace Tester" not in body and "Ada Tester" not in body
    partial = client.get(QUEUE, {"search": "acme"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="results"')
    assert "Ada Tester" in partial.content.decode()
    assert client.get(QUEUE, {"owner": "nobody"}).status_code == 200  # a bad filter, no 500


def test_rep_cannot_open_someone_elses_mql(client, people, mqls):
    login(client, people["rep"])
    other = mqls["other_rep"]
    assert client.get(f"/queue/{other.pk}/").status_code == 404
    response = client.post(f"/queue/{other.pk}/accept/", {"note": "mine now"})
    assert response.status_code == 404
    assert Mql.objects.get(pk=other.pk).status == MqlStatus.OPEN


def test_the_mql_page_shows_the_actions_to_its_owner(client, people, mqls):
    mql = mqls["rep"]
    body = login(client, people["rep"]).get(f"/queue/{mql.pk}/").content.decode()
    for anchor in ('id="touch"', 'id="accept"', 'id="reject"'):
        assert anchor in body
    assert 'id="reassign"' not in body  # reps do not reassign


def test_logging_a_touch_stops_the_first_touch_clock(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/touch/", {"kind": "call", "note": "Left a voicemail"}
    )
    assert response.status_code == 302
    touch = Touch.objects.get(mql=mql)
    assert (touch.kind, touch.note, touch.by) == ("call", "Left a voicemail", people["rep"])
    assert Mql.objects.get(pk=mql.pk).first_touch_at is not None


def test_the_mql_page_calls_the_phone_and_logs_the_call_in_one_click(client, people, mqls):
    mql = mqls["rep"]
    mql.contact.phone = "+49 (30) 1234-567"
    mql.contact.save(update_fields=["phone"])
    page = login(client, people["rep"]).get(f"/queue/{mql.pk}/").content.decode()
    assert 'href="tel:+49301234567"' in page
    assert 'id="log-call"' in page

    response = client.post(f"/queue/{mql.pk}/touch/", {"kind": "call"})  # what the button sends
    assert response.status_code == 302
    assert Touch.objects.get(mql=mql).kind == "call"


def test_a_touch_of_an_unknown_kind_is_shown_next_to_the_field(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["rep"]).post(f"/queue/{mql.pk}/touch/", {"kind": "fax"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Touch.objects.exists()


def test_accepting_on_the_page_makes_the_contact_an_sql(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["rep"]).post(f"/queue/{mql.pk}/accept/", {"note": "Booked"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == LifecycleStage.SQL
    assert Decision.objects.get(mql=mql).comment == "Booked"
    body = client.get(QUEUE).content.decode()
    assert "Accepted Ada Tester" in body  # the flash message
    assert f'data-mql="{mql.pk}"' not in body  # decided: off the queue


def test_rejecting_without_a_reason_shows_the_error_next_to_the_reason(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/reject/", {"reason": "", "comment": "meh", "disposition": "nurture"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert '<small class="field-error" id="reason-error">Choose a reason from the list.' in body
    assert not Decision.objects.exists()
    assert Mql.objects.get(pk=mql.pk).status == MqlStatus.OPEN


def test_an_inactive_reason_is_refused(client, people, mqls):
    mql = mqls["rep"]
    reason = RejectReason.objects.get(code="no_budget")
    RejectReason.objects.filter(pk=reason.pk).update(is_active=False)
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/reject/", {"reason": reason.pk, "disposition": "nurture"}
    )
    assert response.status_code == 400
    assert not Decision.objects.exists()


@pytest.mark.parametrize("disposition", ["nurture", "disqualified"])
def test_rejecting_with_a_reason_records_it(client, people, mqls, disposition):
    mql = mqls["rep"]
    reason = RejectReason.objects.get(code="no_budget")
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/reject/",
        {"reason": reason.pk, "comment": "Next year", "disposition": disposition},
    )
    assert response.status_code == 302
    decision = Decision.objects.get(mql=mql)
    assert (decision.reason, decision.comment, decision.disposition) == (
        reason,
        "Next year",
        disposition,
    )
    mql.contact.refresh_from_db()
    assert mql.contact.lifecycle_stage == disposition


def test_deciding_after_someone_else_decided_says_so_with_a_409(client, people, mqls):
    mql = mqls["rep"]
    mql_accept(mql=mql, by=people["manager"], note="I took it")
    reason = RejectReason.objects.get(code="no_budget")
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/reject/", {"reason": reason.pk, "disposition": "nurture"}
    )
    assert response.status_code == 409
    assert "already accepted" in response.content.decode()
    assert Decision.objects.get(mql=mql).outcome == "accept"


def test_the_team_manager_acts_for_the_team_and_reassigns(client, people, mqls):
    mql = mqls["rep"]
    login(client, people["manager"])
    body = client.get(f"/queue/{mql.pk}/").content.decode()
    assert 'id="reassign"' in body
    response = client.post(
        f"/queue/{mql.pk}/reassign/", {"owner": people["other_rep"].pk, "note": "cover"}
    )
    assert response.status_code == 302
    assert Mql.objects.get(pk=mql.pk).owner == people["other_rep"]
    assert Notification.objects.filter(user=people["other_rep"], mql=mql).exists()


def test_reassigning_to_someone_outside_the_managers_teams_is_refused(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["manager"]).post(
        f"/queue/{mql.pk}/reassign/", {"owner": people["outsider"].pk}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Mql.objects.get(pk=mql.pk).owner == people["rep"]


def test_a_rep_may_not_reassign(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["rep"]).post(
        f"/queue/{mql.pk}/reassign/", {"owner": people["other_rep"].pk}
    )
    assert response.status_code == 403
    assert Mql.objects.get(pk=mql.pk).owner == people["rep"]


def test_the_outsider_manager_cannot_act_on_the_teams_mql(client, people, mqls):
    mql = mqls["rep"]
    response = login(client, people["outsider"]).post(f"/queue/{mql.pk}/accept/", {})
    assert response.status_code == 404
    assert not Decision.objects.exists()


def test_the_navigation_shows_the_unread_count_and_mark_all_read_clears_it(client, people, mqls):
    login(client, people["rep"])
    unread = Notification.objects.filter(user=people["rep"], read_at__isnull=True).count()
    assert unread >= 1
    body = client.get("/notifications/").content.decode()
    assert f'<span class="badge">{unread}</span>' in body
    assert "New MQL for you" in body
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=people["rep"], read_at__isnull=True).exists()
    assert '<span class="badge">' not in client.get(QUEUE).content.decode()


def test_notifications_are_only_the_users_own(client, people, mqls):
    body = login(client, people["other_rep"]).get("/notifications/").content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body


def test_the_queue_pages_by_25(client, people, version):
    from handoff.views import QUEUE_PAGE_SIZE
    from tests.factories import open_mql

    for i in range(QUEUE_PAGE_SIZE + 5):
        open_mql(owner_hint=people["rep"], first_name=f"P{i}", company=f"C{i}", version=version)
    client.force_login(people["rep"])
    # Its queries do not grow with the rows: tests/handoff/test_query_counts.py.
    assert client.get(QUEUE).content.decode().count("<tr data-url=") == QUEUE_PAGE_SIZE
    assert client.get(QUEUE, {"page": 2}).content.decode().count("<tr data-url=") == 5


def test_the_team_manager_reassigns_several_mqls_from_the_queue(client, people, mqls):
    login(client, people["manager"])
    body = client.get(QUEUE).content.decode()
    assert 'form="bulk-reassign"' in body
    ids = [mqls["rep"].pk, mqls["other_rep"].pk]
    response = client.post(
        "/queue/reassign/",
        {"mqls": ids, "owner": people["rep"].pk, "note": "holiday cover", "next": "/queue/?x=1"},
    )
    assert response.status_code == 302 and response["Location"] == "/queue/?x=1"
    assert set(Mql.objects.filter(pk__in=ids).values_list("owner", flat=True)) == {people["rep"].pk}


def test_bulk_reassigning_an_mql_outside_your_teams_moves_nothing(client, people, mqls):
    login(client, people["manager"])
    Mql.objects.filter(pk=mqls["other_rep"].pk).update(team=None, owner=people["outsider"])
    response = client.post(
        "/queue/reassign/",
        {"mqls": [mqls["rep"].pk, mqls["other_rep"].pk], "owner": people["other_rep"].pk},
        follow=True,
    )
    assert "nothing was moved" in response.content.decode()
    assert Mql.objects.get(pk=mqls["rep"].pk).owner == people["rep"]


def test_reps_and_outsiders_cannot_bulk_reassign(client, people, mqls):
    login(client, people["rep"])
    assert 'form="bulk-reassign"' not in client.get(QUEUE).content.decode()
    response = client.post(
        "/queue/reassign/", {"mqls": [mqls["rep"].pk], "owner": people["other_rep"].pk}
    )
    assert response.status_code == 403
    login(client, people["outsider"])
    response = client.post(
        "/queue/reassign/",
        {"mqls": [mqls["rep"].pk], "owner": people["other_rep"].pk},
        follow=True,
    )
    assert Mql.objects.get(pk=mqls["rep"].pk).owner == people["rep"]
    assert "Select a valid choice" in response.content.decode()  # not a rep of their teams

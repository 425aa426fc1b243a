"""The feedback inbox: marketing, managers and admins read sales' decisions, filtered."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import RejectReason
from feedback.services import mql_accept, mql_reject

INBOX = "/feedback/"


@pytest.fixture
def decided(people, mqls):
    """Ada rejected by her rep (no budget, nurture), Grace accepted."""
    reason = RejectReason.objects.get(code="no_budget")
    mql_reject(
        mql=mqls["rep"],
        by=people["rep"],
        reason=reason,
        comment="They spent it all on robots",
        disposition="nurture",
    )
    mql_accept(mql=mqls["other_rep"], by=people["other_rep"], note="Call booked")
    return mqls


@pytest.mark.parametrize("who", ["marketer", "manager", "outsider", "admin"])
def test_marketing_managers_and_admins_read_the_inbox(client, people, decided, who):
    client.force_login(people[who])
    response = client.get(INBOX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "They spent it all on robots" in body
    assert '<strong class="reason">No budget</strong>' in body
    assert "rep1" in body and "Inside sales" in body and "webinar" in body
    assert "Default v1" in body  # model version
    assert "Job title contains &#x27;head&#x27; → +60" in body  # the rule that fired


@pytest.mark.parametrize("who", ["rep", "other_rep"])
def test_reps_may_not_read_the_inbox(client, people, decided, who):
    client.force_login(people[who])
    assert client.get(INBOX).status_code == 403


def test_anonymous_is_sent_to_login(client, decided):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_counts_per_reason_sit_beside_the_list(client, people, decided):
    client.force_login(people["marketer"])
    body = client.get(INBOX).content.decode()
    assert "Accepted <strong>1</strong> · rejected <strong>1</strong>" in body
    assert (
        '<tr data-reason="no_budget"><td><a href="?reason=no_budget">No budget</a></td><td class="right">1</td></tr>'
        in body
    )
    assert (
        '<tr data-reason="duplicate"><td><a href="?reason=duplicate">Duplicate</a></td><td class="right">0</td></tr>'
        in body
    )


def test_filters_in_the_url_narrow_the_decisions_and_the_counts(client, people, decided):
    client.force_login(people["marketer"])
    body = client.get(INBOX, {"outcome": "accept"}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body
    assert "Accepted <strong>1</strong> · rejected <strong>0</strong>" in body
    body = client.get(INBOX, {"reason": "no_budget"}).content.decode()
    assert "Ada Tester" in body and "Grace Tester" not in body
    body = client.get(INBOX, {"rep": people["other_rep"].pk}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body
    body = client.get(INBOX, {"rule": "r0", "source": "WEBINAR"}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" in body
    body = client.get(INBOX, {"rule": "r9"}).content.decode()
    assert "Grace Tester" not in body and "Ada Tester" not in body
    today = timezone.localdate()
    body = client.get(INBOX, {"decided_after": str(today + timedelta(days=1))}).content.decode()
    assert "Grace Tester" not in body and "Ada Tester" not in body
    body = client.get(INBOX, {"decided_after": str(today), "decided_before": str(today)}).content
    assert b"Grace Tester" in body and b"Ada Tester" in body
    partial = client.get(INBOX, {"campaign": "spring"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="results"')


def test_a_bad_filter_value_is_a_message_not_an_error(client, people, decided):
    client.force_login(people["marketer"])
    response = client.get(INBOX, {"reason": "no_such_reason"})
    assert response.status_code == 200
    assert "Check the filters" in response.content.decode()

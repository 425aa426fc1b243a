"""The handoff pages and lists cost a fixed number of queries, whatever the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import RejectReason
from feedback.services import mql_reject
from handoff.models import TeamMember
from handoff.services import breaches_record, mql_touch, mqls_reassign
from leads.models import ActivityEvent
from tests.factories import open_mql


def queries(client, url: str) -> int:
    client.get(url)  # a forced API login caches the user's permissions on the first request
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def more_mqls(people, version, n: int, start: int = 0) -> list:
    made = []
    for i in range(start, start + n):
        mql = open_mql(
            owner_hint=people["rep"], first_name=f"P{i}", company=f"C{i}", version=version
        )
        ActivityEvent.objects.bulk_create(
            ActivityEvent(
                contact_id=mql.contact_id,
                event_type="page_view",
                properties={"url": f"/p/{j}"},
                occurred_at=timezone.now() - timedelta(hours=j),
            )
            for j in range(5)
        )
        made.append(mql)
    return made


@pytest.mark.parametrize("url", ["/queue/", "/api/v1/queue/"])
def test_the_queue_costs_the_same_queries_for_1_or_25_rows(client, people, version, url):
    more_mqls(people, version, 1)
    client.force_login(people["rep"])
    few = queries(client, url)
    more_mqls(people, version, 29, start=1)
    body = client.get(url).content.decode()
    assert "P28" in body or "P0" in body  # rows with their activity are there
    assert queries(client, url) == few <= 17


def test_the_mql_page_costs_the_same_queries_for_any_number_of_touches_and_moves(
    client, people, version
):
    mql = more_mqls(people, version, 1)[0]
    client.force_login(people["manager"])
    url = f"/queue/{mql.pk}/"
    few = queries(client, url)
    for i in range(6):
        mql_touch(mql=mql, by=people["rep"], kind="call", note=f"try {i}")
    TeamMember.objects.filter(user=people["other_rep"]).update(is_active=True)
    for owner in (people["other_rep"], people["rep"]):
        mqls_reassign(mqls=[mql], owner=owner, by=people["manager"])
        mql.refresh_from_db()
    assert queries(client, url) == few


def test_the_breaches_page_and_api_cost_the_same_queries_for_2_or_40_breaches(
    client, api_as, people, version
):
    more_mqls(people, version, 1)
    breaches_record(now=timezone.now() + timedelta(days=30))
    client.force_login(people["manager"])
    api_client = api_as(people["manager"])
    few_page = queries(client, "/sla/breaches/")
    few_api = queries(api_client, "/api/v1/sla/breaches/")
    more_mqls(people, version, 19, start=1)
    assert breaches_record(now=timezone.now() + timedelta(days=31)) == 38
    assert queries(client, "/sla/breaches/") == few_page
    assert queries(api_client, "/api/v1/sla/breaches/") == few_api


def test_the_feedback_inbox_costs_the_same_queries_for_1_or_12_decisions(
    client, api_as, people, version
):
    reason = RejectReason.objects.get(code="no_budget")

    def reject(mqls):
        for mql in mqls:
            mql_reject(mql=mql, by=people["rep"], reason=reason, disposition="nurture")

    reject(more_mqls(people, version, 1))
    client.force_login(people["marketer"])
    api_client = api_as(people["marketer"])
    few_page = queries(client, "/feedback/")
    few_api = queries(api_client, "/api/v1/feedback/")
    reject(more_mqls(people, version, 11, start=1))
    assert queries(client, "/feedback/") == few_page
    assert queries(api_client, "/api/v1/feedback/") == few_api

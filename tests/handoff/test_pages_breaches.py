"""The SLA breach pages: who sees which breach, acknowledging, the CSV export, compliance."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from handoff.models import Breach
from handoff.services import breaches_record

BREACHES = "/sla/breaches/"
EXPORT = "/sla/breaches/export.csv"


@pytest.fixture
def breaches(mqls):
    """Every clock of both MQLs runs out: two clocks each (first touch, decision)."""
    assert breaches_record(now=timezone.now() + timedelta(days=30)) == 4
    return list(Breach.objects.order_by("pk"))


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_managers_and_admins_see_the_teams_breaches(client, people, breaches):
    for who in ("manager", "admin"):
        client.force_login(people[who])
        body = client.get(BREACHES).content.decode()
        assert "Ada Tester" in body and "Grace Tester" in body
        assert "Acknowledge" in body


def test_a_rep_sees_only_their_own_breaches_and_cannot_acknowledge(client, people, breaches):
    client.force_login(people["rep"])
    body = client.get(BREACHES).content.decode()
    assert "Ada Tester" in body and "Grace Tester" not in body
    assert 'class="inline-ack"' not in body
    mine = Breach.objects.filter(breached_owner=people["rep"]).first()
    response = client.post(f"/sla/breaches/{mine.pk}/acknowledge/", {"note": "done"})
    assert response.status_code == 403
    theirs = Breach.objects.filter(breached_owner=people["other_rep"]).first()
    response = client.post(f"/sla/breaches/{theirs.pk}/acknowledge/", {"note": "done"})
    assert response.status_code == 404
    assert not Breach.objects.filter(acknowledged_at__isnull=False).exists()


def test_an_outsider_manager_sees_no_breach_of_the_team(client, people, breaches):
    client.force_login(people["outsider"])
    body = client.get(BREACHES).content.decode()
    assert "Ada Tester" not in body and "Grace Tester" not in body
    response = client.post(f"/sla/breaches/{breaches[0].pk}/acknowledge/", {"note": "x"})
    assert response.status_code == 404
    assert rows_of(client.get(EXPORT)) == []


def test_a_marketer_and_anonymous_are_refused(client, people, breaches):
    response = client.get(BREACHES)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["marketer"])
    assert client.get(BREACHES).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get("/sla/compliance/").status_code == 403


def test_the_manager_acknowledges_with_a_note(client, people, breaches):
    breach = Breach.objects.filter(breached_owner=people["rep"]).first()
    client.force_login(people["manager"])
    response = client.post(f"/sla/breaches/{breach.pk}/acknowledge/", {"note": ""})
    assert response.status_code == 400
    assert "Say what was done about it." in response.content.decode()
    response = client.post(
        f"/sla/breaches/{breach.pk}/acknowledge/", {"note": "Coached the rep", "next": BREACHES}
    )
    assert response.status_code == 302
    breach.refresh_from_db()
    assert (breach.acknowledged_by, breach.acknowledgement) == (
        people["manager"],
        "Coached the rep",
    )
    again = client.post(f"/sla/breaches/{breach.pk}/acknowledge/", {"note": "twice"}, follow=True)
    assert "acknowledged already" in again.content.decode()
    breach.refresh_from_db()
    assert breach.acknowledgement == "Coached the rep"


def test_filters_by_rep_kind_and_date(client, people, breaches):
    client.force_login(people["manager"])
    body = client.get(BREACHES, {"owner": people["other_rep"].pk}).content.decode()
    assert "Grace Tester" in body and "Ada Tester" not in body
    body = client.get(BREACHES, {"kind": "decision"}).content.decode()
    assert body.count('<tr id="breach-') == 2
    today = timezone.localdate()
    body = client.get(BREACHES, {"breached_after": str(today + timedelta(days=60))}).content
    assert b'<tr id="breach-' not in body
    Breach.objects.filter(pk=breaches[0].pk).update(acknowledged_at=timezone.now())
    body = client.get(BREACHES, {"acknowledged": "true"}).content.decode()
    assert body.count('<tr id="breach-') == 1 and f'id="breach-{breaches[0].pk}"' in body
    body = client.get(BREACHES, {"acknowledged": "false"}).content.decode()
    assert body.count('<tr id="breach-') == 3
    partial = client.get(BREACHES, {"kind": "first_touch"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<section id="results"')


def test_the_csv_export_has_the_filtered_breaches(client, people, breaches):
    client.force_login(people["manager"])
    response = client.get(EXPORT, {"owner": people["rep"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    expected = Breach.objects.filter(breached_owner=people["rep"])
    assert sorted(int(r["breach_id"]) for r in rows) == sorted(b.pk for b in expected)
    assert {r["owner"] for r in rows} == {"rep1"}
    assert {r["team"] for r in rows} == {"Inside sales"}
    assert {r["kind"] for r in rows} == {"first_touch", "decision"}
    assert {r["contact_email"] for r in rows} == {people_email(breaches, people["rep"])}
    assert client.get(EXPORT, {"kind": "nonsense"}).status_code == 400


def people_email(breaches, owner) -> str:
    return next(b.mql.contact.email for b in breaches if b.breached_owner_id == owner.pk)


def test_csv_cells_never_start_a_formula(client, people, breaches):
    breach = Breach.objects.filter(breached_owner=people["rep"]).first()
    Breach.objects.filter(pk=breach.pk).update(
        acknowledged_at=timezone.now(), acknowledgement="=HYPERLINK(1)"
    )
    client.force_login(people["admin"])
    [row] = [r for r in rows_of(client.get(EXPORT)) if r["breach_id"] == str(breach.pk)]
    assert row["acknowledgement"] == "'=HYPERLINK(1)"


def test_compliance_per_rep_team_and_week(client, people, mqls, version):
    from handoff.services import mql_touch
    from tests.factories import open_mql

    old = open_mql(
        owner_hint=people["other_rep"],
        first_name="Old",
        version=version,
        at=timezone.now() - timedelta(days=20),
    )
    mql_touch(mql=mqls["rep"], by=people["rep"], kind="call")  # first touch met for Ada
    breaches_record(now=timezone.now())  # the old MQL's first touch and decision run out
    assert Breach.objects.filter(mql=old).count() == 2
    client.force_login(people["manager"])
    body = client.get("/sla/compliance/", {"group": "rep"}).content.decode()
    # rep1: delivery and first touch met; rep2: two deliveries met, first touch + decision breached
    assert '<tr><td>rep1</td><td class="right">2</td><td class="right">2</td>' in body
    assert "<td>100.0%</td>" in body
    assert '<tr><td>rep2</td><td class="right">4</td><td class="right">2</td>' in body
    assert "<td>50.0%</td>" in body
    body = client.get("/sla/compliance/", {"group": "team"}).content.decode()
    assert '<tr><td>Inside sales</td><td class="right">6</td><td class="right">4</td>' in body
    body = client.get("/sla/compliance/", {"group": "week"}).content.decode()
    assert "Week of" in body and body.count("<tr><td>") >= 1
    client.force_login(people["outsider"])
    body = client.get("/sla/compliance/", {"group": "rep"}).content.decode()
    assert "rep1" not in body and "rep2" not in body

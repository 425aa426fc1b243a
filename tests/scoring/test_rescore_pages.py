"""/scoring/rescore/ pages: the runs list, one run's progress (htmx-polled), "Rescore now"."""

import pytest
from django.utils import timezone

from scoring.models import RescoreKind, RescoreRun, RescoreStatus
from tests.factories import RescoreRunFactory, UserFactory

pytestmark = pytest.mark.django_db
READERS = ["marketer", "rep", "manager", "admin_user"]


@pytest.fixture
def running():
    return RescoreRunFactory(
        kind=RescoreKind.FULL, status=RescoreStatus.RUNNING, reason="Published Default v2",
        created_at=timezone.now(), started_at=timezone.now(), chunks_total=4, chunks_done=1,
        contacts_scored=20000, scores_changed=1234, mqls_created=56,
    )  # fmt: skip


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", READERS)
def test_every_role_that_reads_scoring_sees_the_runs_and_their_progress(
    role, request, client, running
):
    client = logged_in(client, request.getfixturevalue(role))

    listing = client.get("/scoring/rescore/")
    detail = client.get(f"/scoring/rescore/{running.pk}/")

    assert listing.status_code == 200 and b"Published Default v2" in listing.content
    assert detail.status_code == 200
    html = detail.content.decode()
    assert '<progress value="1" max="4"' in html
    assert "20,000" in html and "1,234" in html and ">56<" in html
    assert 'hx-trigger="every 1s"' in html  # polled while it runs
    assert ("Rescore now" in listing.content.decode()) == (role == "admin_user")


def test_the_progress_partial_is_served_to_htmx_and_stops_polling_when_done(
    client, marketer, running
):
    client = logged_in(client, marketer)
    RescoreRun.objects.filter(pk=running.pk).update(status="done", chunks_done=4)

    response = client.get(f"/scoring/rescore/{running.pk}/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="progress"')
    assert "hx-trigger" not in html and '<progress value="4" max="4"' in html


def test_an_admin_clicks_rescore_now_and_lands_on_the_run(client, admin_user):
    response = logged_in(client, admin_user).post("/scoring/rescore/start/")

    run = RescoreRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/scoring/rescore/{run.pk}/"
    assert (run.kind, run.started_by) == (RescoreKind.FULL, admin_user)


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_other_roles_cannot_start_a_rescore_from_the_page(role, request, client):
    response = logged_in(client, request.getfixturevalue(role)).post("/scoring/rescore/start/")
    assert response.status_code == 403 and not RescoreRun.objects.exists()


def test_a_user_without_a_role_gets_403(client, running):
    client = logged_in(client, UserFactory())
    assert client.get("/scoring/rescore/").status_code == 403
    assert client.get(f"/scoring/rescore/{running.pk}/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, running):
    for url in ("/scoring/rescore/", f"/scoring/rescore/{running.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post("/scoring/rescore/start/").status_code == 302
    assert not RescoreRun.objects.exclude(pk=running.pk).exists()


def test_the_nav_links_to_rescoring_for_readers_only(client, rep):
    assert b'href="/scoring/rescore/"' in logged_in(client, rep).get("/contacts/").content
    client.force_login(UserFactory())
    assert b'href="/scoring/rescore/"' not in client.get("/contacts/").content


def test_an_unknown_run_is_404(client, marketer):
    assert logged_in(client, marketer).get("/scoring/rescore/999999/").status_code == 404

"""POST/GET /api/v1/rescore/: admins start a full rescore; whoever reads scoring models sees runs."""

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from scoring.models import RescoreKind, RescoreRun, RescoreStatus
from tests.factories import ContactFactory, RescoreRunFactory, UserFactory, published_model

pytestmark = pytest.mark.django_db
READERS = ["marketer", "rep", "manager", "admin_user"]


@pytest.fixture
def run():
    return RescoreRunFactory(
        kind=RescoreKind.SCHEDULED, status=RescoreStatus.DONE, reason="nightly",
        created_at=timezone.now(), chunks_total=2, chunks_done=2, contacts_scored=7,
    )  # fmt: skip


def test_an_admin_starts_a_full_rescore_and_gets_202_with_the_run(
    admin_user, marketer, api_as, django_capture_on_commit_callbacks
):
    published_model(by=marketer)
    ContactFactory()
    RescoreRun.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(admin_user).post("/api/v1/rescore/", {"reason": "why not"}, format="json")

    assert response.status_code == 202
    body = response.json()
    assert (body["kind"], body["reason"], body["started_by"]) == ("full", "why not", "admin")
    run = RescoreRun.objects.get(pk=body["id"])
    assert (run.status, run.contacts_scored) == (RescoreStatus.DONE, 1)


def test_asking_twice_while_queued_returns_the_same_run(admin_user, api_as):
    first = api_as(admin_user).post("/api/v1/rescore/", {}, format="json").json()
    second = api_as(admin_user).post("/api/v1/rescore/", {}, format="json").json()
    assert first["id"] == second["id"] and first["status"] == "queued"
    assert first["reason"] == "Started by admin"


def test_a_too_long_reason_is_a_400_naming_the_field(admin_user, api_as):
    response = api_as(admin_user).post("/api/v1/rescore/", {"reason": "x" * 301}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert not RescoreRun.objects.exists()


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_other_roles_may_not_start_a_rescore(role, request, api_as):
    response = api_as(request.getfixturevalue(role)).post("/api/v1/rescore/", {}, format="json")
    assert response.status_code == 403
    assert not RescoreRun.objects.exists()


@pytest.mark.parametrize("role", READERS)
def test_every_role_that_reads_scoring_sees_the_runs(role, request, api_as, run):
    client = api_as(request.getfixturevalue(role))

    listed = client.get("/api/v1/rescore/")
    one = client.get(f"/api/v1/rescore/{run.pk}/")

    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [run.pk]
    assert one.status_code == 200
    assert (one.json()["contacts_scored"], one.json()["percent"]) == (7, 100)


def test_a_user_without_a_role_gets_403(api_as, run):
    nobody = api_as(UserFactory())
    assert nobody.get("/api/v1/rescore/").status_code == 403
    assert nobody.get(f"/api/v1/rescore/{run.pk}/").status_code == 403
    assert nobody.post("/api/v1/rescore/", {}, format="json").status_code == 403


def test_anonymous_requests_are_refused(api, run):
    assert api.get("/api/v1/rescore/").status_code == 401
    assert api.get(f"/api/v1/rescore/{run.pk}/").status_code == 401
    assert api.post("/api/v1/rescore/", {}, format="json").status_code == 401


def test_an_unknown_run_is_404(api_as, marketer):
    assert api_as(marketer).get("/api/v1/rescore/999999/").status_code == 404


def test_the_schema_documents_the_rescore_endpoints(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(path))
    paths = yaml.safe_load(path.read_text())["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/rescore/"])
    assert "202" in paths["/api/v1/rescore/"]["post"]["responses"]
    assert "get" in paths["/api/v1/rescore/{id}/"]

import pytest
from django.contrib.auth import get_user_model

from leads.models import ImportJob
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client, user


def test_admin_lists_and_shows_import_jobs_read_only(superuser_client):
    client, user = superuser_client
    job = ImportJob.objects.create(
        created_by=user, file="imports/people.csv", original_filename="people.csv"
    )

    assert "people.csv" in client.get("/admin/leads/importjob/").content.decode()
    assert client.get(f"/admin/leads/importjob/{job.pk}/change/").status_code == 200
    assert client.get("/admin/leads/importjob/add/").status_code == 403


@pytest.mark.parametrize("model", ["company", "contact", "activityevent", "stagechange"])
def test_admin_changelists_answer(superuser_client, model):
    ContactFactory()
    client, _ = superuser_client
    assert client.get(f"/admin/leads/{model}/").status_code == 200

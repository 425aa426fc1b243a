import pytest

from tests.factories import ContactFactory, ImportJobFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client, user


def test_admin_lists_and_shows_import_jobs_read_only(superuser_client):
    client, user = superuser_client
    job = ImportJobFactory(created_by=user, original_filename="people.csv")

    assert "people.csv" in client.get("/admin/leads/importjob/").content.decode()
    assert client.get(f"/admin/leads/importjob/{job.pk}/change/").status_code == 200
    assert client.get("/admin/leads/importjob/add/").status_code == 403


@pytest.mark.parametrize("model", ["company", "contact", "activityevent", "stagechange"])
def test_admin_changelists_answer(superuser_client, model):
    ContactFactory()
    client, _ = superuser_client
    assert client.get(f"/admin/leads/{model}/").status_code == 200

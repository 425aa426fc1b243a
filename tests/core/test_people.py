"""People are named one way on every page, select and filter: their full name, else their
username."""

from core.people import display_name
from tests.factories import ContactFactory, UserFactory


def test_a_person_is_their_full_name_else_their_username(db):
    assert display_name(UserFactory(username="rep9", first_name="Riley", last_name="Rep")) == (
        "Riley Rep"
    )
    assert display_name(UserFactory(username="rep8")) == "rep8"
    assert display_name(None) == ""


def test_lists_and_filters_name_owners_by_their_full_name(client, people):
    rep = people["rep"]
    rep.first_name, rep.last_name = "Riley", "Rep"
    rep.save(update_fields=["first_name", "last_name"])
    ContactFactory(owner=rep)
    client.force_login(people["admin"])
    for path in ("/contacts/", "/queue/", "/sla/breaches/", "/feedback/"):
        page = client.get(path).content.decode()
        assert f'<option value="{rep.pk}">Riley Rep</option>' in page, path
        assert f">{rep.username}<" not in page, path

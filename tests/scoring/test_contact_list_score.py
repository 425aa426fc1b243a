"""The contacts page shows each contact's current score and grade (scoring's column on leads'
list) and filters by score, grade and eligibility with controls on the page."""

import re

from scoring.models import Grade
from tests.factories import ContactFactory, ContactScoreFactory, ModelVersionFactory

CONTACTS = "/contacts/"


def rows(page: str) -> dict[str, str]:
    """{contact email: its table row's HTML}."""
    return {
        m.group(2): m.group(1)
        for m in re.finditer(r"<tr>(.*?<td>([^<@]+@[^<]+)</td>.*?)</tr>", page, re.S)
    }


def test_each_contact_shows_its_current_score_and_grade(client, marketer):
    version = ModelVersionFactory()
    ContactScoreFactory(
        contact=ContactFactory(email="a@x.example"), model_version=version, total=87.4
    )
    ContactScoreFactory(
        contact=ContactFactory(email="c@x.example"),
        model_version=version,
        fit=10,
        engagement=5,
        total=15,
        grade=Grade.C,
        mql_eligible=False,
    )
    ContactFactory(email="none@x.example")
    client.force_login(marketer)
    page = client.get(CONTACTS).content.decode()

    assert '<th scope="col">Score</th>' in page
    shown = rows(page)
    assert 'class="grade grade-A"' in shown["a@x.example"] and "87" in shown["a@x.example"]
    assert "eligible" in shown["a@x.example"]
    assert 'class="grade grade-C"' in shown["c@x.example"]
    assert "eligible" not in shown["c@x.example"]
    assert "Not scored yet" in shown["none@x.example"]


def test_the_score_filters_are_controls_on_the_page(client, marketer):
    version = ModelVersionFactory()
    ContactScoreFactory(contact=ContactFactory(email="a@x.example"), model_version=version)
    ContactScoreFactory(
        contact=ContactFactory(email="c@x.example"), model_version=version, grade=Grade.C
    )
    client.force_login(marketer)
    page = client.get(CONTACTS).content.decode()
    for control in ('name="score_min"', 'name="score_max"', 'name="mql_eligible"'):
        assert control in page
    assert 'type="checkbox" name="grade" value="A"' in page

    narrowed = client.get(CONTACTS, {"grade": ["C"]}).content.decode()
    assert set(rows(narrowed)) == {"c@x.example"}
    assert '<details class="more-filters" open>' in narrowed

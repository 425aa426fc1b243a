"""Refused and missing pages are styled pages inside the layout with a way back; filters offer
"Any", not dashes."""

import pytest

from core.templatetags.core_ui import tel_href
from core.views import server_error


def test_a_refused_page_is_inside_the_layout_with_a_way_home(client, rep):
    client.force_login(rep)
    response = client.get("/feedback/")
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="topbar"' in page and "You can't open this page" in page
    assert 'href="/"' in page


def test_a_missing_page_is_inside_the_layout_with_a_way_home(client, rep):
    client.force_login(rep)
    response = client.get("/contacts/999999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="topbar"' in page and "Nothing here" in page


def test_a_server_error_page_stands_alone(rf):
    # Rendered without the layout (no database, no user): it must show even when those fail.
    response = server_error(rf.get("/contacts/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and 'class="topbar"' not in page


@pytest.mark.parametrize("path", ["/contacts/", "/queue/", "/sla/breaches/"])
def test_filters_offer_any_not_dashes(client, people, path):
    client.force_login(people["admin"])
    page = client.get(path).content.decode()
    assert "<select" in page and "---------" not in page


@pytest.mark.parametrize(
    ("phone", "href"),
    [("+49 (30) 1234-567", "tel:+49301234567"), ("(555) 010 2030", "tel:5550102030"), ("", "tel:")],
)
def test_a_phone_number_becomes_a_tel_link(phone, href):
    assert tel_href(phone) == href

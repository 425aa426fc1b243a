"""Input that once reached the database or the response as a 500: every one is now a 4xx that
names its field, at the place the value enters (API, CSV import, event ingest, URLs)."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import DomainError
from core.spreadsheet import cell_escape, cell_unescape, csv_writer
from leads.imports import contacts_csv, contacts_mapping
from leads.imports.contacts_csv import contacts_import
from leads.imports.jobs import import_job_create
from leads.models import ActivityEvent, Company, Contact, ImportJob, ImportStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
LONE_SURROGATE = "a\ud800b"


def _json(value) -> bytes:
    """JSON as a client sends it: a lone surrogate is written as its \\ud800 escape."""
    return json.dumps(value).encode()


# --- text in JSON values: one rule (core.text) for keys and values at any depth -----------------


@pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE])
@pytest.mark.parametrize(
    "body",
    [
        lambda bad: {"attributes": {"plan": bad}},
        lambda bad: {"attributes": {bad: "pro"}},
        lambda bad: {"attributes": {"nested": {"deeper": [1, bad]}}},
        lambda bad: {"company": {"domain": "acme.com", "name": "Acme", "tags": ["ok", bad]}},
    ],
    ids=["attribute value", "attribute key", "nested value", "company tag"],
)
def test_bad_text_in_json_is_a_400_naming_the_field(api_as, marketer, bad, body):
    contact = ContactFactory()
    response = api_as(marketer).patch(
        f"/api/v1/contacts/{contact.pk}/", _json(body(bad)), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()
    assert "attributes" in errors or "tags" in errors.get("company", {})
    contact.refresh_from_db()
    assert contact.attributes == {}
    assert not Company.objects.filter(domain="acme.com").exists()


@pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE])
def test_bad_text_in_event_properties_is_refused_for_that_event(api_as, marketer, bad):
    contact = ContactFactory()
    event = {
        "contact": contact.pk,
        "event_type": "page_view",
        "occurred_at": "2026-01-05T10:00:00Z",
        "properties": {"utm": {bad: "x"}},
    }
    response = api_as(marketer).post(
        "/api/v1/events/", _json(event), content_type="application/json"
    )
    assert response.status_code == 400
    assert "properties" in response.json()[0]["errors"]
    assert not ActivityEvent.objects.exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(attributes=st.dictionaries(st.text(max_size=5), json_values, max_size=3))
def test_any_attributes_are_stored_or_refused_never_a_server_error(api_as, marketer, attributes):
    contact = ContactFactory()
    response = api_as(marketer).patch(
        f"/api/v1/contacts/{contact.pk}/",
        _json({"attributes": attributes}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        contact.refresh_from_db()
        assert contact.attributes == attributes


# --- the body of a PATCH is an object ------------------------------------------------------------


@pytest.mark.parametrize("body", [b"null", b"42", b'"text"', b"[1, 2]", b"true"])
def test_a_body_that_is_not_an_object_is_a_400(api_as, marketer, body):
    contact = ContactFactory()
    client = api_as(marketer)
    for method, path in [
        (client.patch, f"/api/v1/contacts/{contact.pk}/"),
        (client.post, "/api/v1/contacts/"),
        (client.post, f"/api/v1/contacts/{contact.pk}/stage/"),
        (client.post, "/api/v1/scoring-models/"),
    ]:
        response = method(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content)
        assert "JSON object" in response.json()["detail"]


# --- events: a lower bound on their date ---------------------------------------------------------


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "1989-12-31T23:59:59Z"])
def test_an_event_dated_before_1990_is_refused(api_as, marketer, when):
    contact = ContactFactory()
    event = {"contact": contact.pk, "event_type": "page_view", "occurred_at": when}
    response = api_as(marketer).post("/api/v1/events/", event, format="json")
    assert response.status_code == 400
    assert "1990-01-01" in response.json()[0]["errors"]["occurred_at"][0]


# --- the API answers JSON everywhere -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/contacts/abc/", "/api/v1/sla/breaches/1e3/acknowledge/", "/api/v1/nothing-here/"],
)
@pytest.mark.parametrize("debug", [False, True])
def test_a_path_no_route_matches_is_a_json_404(api_as, rep, path, debug, settings):
    settings.DEBUG = debug  # Django's debug 404 page is HTML: the API's stays JSON
    response = api_as(rep).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_a_path_no_route_matches_is_a_json_404_not_a_csrf_page(rep, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(rep)  # a browser's session cookie, as schemathesis sends it back
    response = getattr(client, method)("/api/v1/out-of-office/0.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_form_body_past_djangos_field_limit_is_a_json_400(api_as, manager, settings):
    settings.DEBUG = True  # Django's debug page for it is HTML: the API's answer stays JSON
    fields = "&".join(f"mqls={i}" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = api_as(manager).post(
        "/api/v1/mqls/reassign/", fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["detail"]


def test_a_path_without_its_closing_slash_says_so(api_as, rep):
    response = api_as(rep).get("/api/v1/contacts")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found. API paths end with a slash: /api/v1/contacts/"}


def test_pages_keep_the_html_404(client, rep):
    client.force_login(rep)
    response = client.get("/contacts/abc/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- the contacts CSV import: the same text rule, and a report that opens safely -----------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _import(tmp_path, text: str, marketer):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    headers = contacts_csv.csv_inspect(path=path).headers
    mapping = contacts_mapping.mapping_guess(headers=headers)
    report = tmp_path / "rejected.csv"
    return contacts_import(path=path, mapping=mapping, by=marketer, rejected_path=report), report


def test_a_nul_in_a_tag_or_attribute_cell_rejects_the_row_only(tmp_path, marketer):
    result, report = _import(
        tmp_path,
        "Email,Domain,Tags,Plan\n"
        "a@example.com,acme.com,ok\x00bad,pro\n"
        "b@example.com,,,pro\x00\n"
        "c@example.com,,,pro\n",
        marketer,
    )
    assert (result.created, result.rejected) == (1, 2)
    assert Contact.objects.get().email == "c@example.com"
    lines = list(csv.reader(io.StringIO(report.read_text())))
    assert [line[1] for line in lines[1:]] == ["Tags (company_tags)", "Plan (attribute)"]
    assert "nul character" in lines[1][2]


def test_a_column_name_with_a_nul_is_refused_naming_the_column(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("Email,Pl\x00an\nx@example.com,pro\n", encoding="utf-8")
    with pytest.raises(DomainError, match="Column 2's name: Contains a NUL character"):
        contacts_csv.csv_inspect(path=path)


def _csv(rows) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(A1)", "+1+1", "-2+3", "\tTAB"]


def test_the_rejected_rows_report_escapes_formulas_and_a_fixed_file_imports_them_back(
    tmp_path, marketer
):
    rows = [[f"not-an-email-{i}", formula] for i, formula in enumerate(FORMULAS)]
    result, report = _import(tmp_path, _csv([["Email", "Plan"], *rows]), marketer)
    assert result.rejected == len(FORMULAS)
    lines = list(csv.reader(io.StringIO(report.read_text())))[1:]
    cells = [cell for line in lines for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t"))]
    assert [line[-1] for line in lines] == [f"'{f}" for f in FORMULAS]

    # The user fixes the emails in the report and imports it again: the values are theirs.
    fixed = [[f"fixed{i}@example.com", line[-1]] for i, line in enumerate(lines)]
    result, _ = _import(tmp_path, _csv([["Email", "Plan"], *fixed]), marketer)
    assert result.created == len(FORMULAS)
    stored = [
        Contact.objects.get(email=f"fixed{i}@example.com").attributes["Plan"]
        for i in range(len(FORMULAS))
    ]
    assert stored == [f.strip() for f in FORMULAS]


@given(st.text())
def test_escaping_a_cell_is_undone_exactly(text):
    escaped = cell_escape(text)
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell_unescape(escaped) == text or text.startswith("'")


def test_the_writer_leaves_numbers_and_empty_cells_alone():
    out = io.StringIO()
    csv_writer(out).writerow([-3, 1.5, None, "", "-x"])
    assert out.getvalue().strip() == "-3,1.5,,,'-x"


def test_reps_never_download_an_import_report(client, marketer, rep, media):
    job, _info = import_job_create(
        by=marketer,
        upload=SimpleUploadedFile("job.csv", b"email\nnot-an-email\n"),
        filename="job.csv",
    )
    client.force_login(marketer)
    client.post(reverse("import-map", args=[job.pk]), {"col_0": "email", "stage": "lead"})
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert client.get(reverse("import-rejected", args=[job.pk])).status_code == 200

    client.force_login(rep)
    for name in ("import-job", "import-rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code in (403, 404)

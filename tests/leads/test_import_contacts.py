"""Contacts CSV import: the service, the command and the upload → map → report pages."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.exceptions import DomainError
from leads.imports import contacts_csv, contacts_mapping, jobs
from leads.imports.contacts_csv import contacts_import
from leads.imports.jobs import import_job_create, import_job_run
from leads.models import Company, Contact, ImportJob, ImportStatus, LifecycleStage, StageChange
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

HEADER = "Email,First name,Last name,Company,Domain,Employees,Seniority,Plan\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def write(tmp_path, text: str, name="contacts.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def run(path, mapping=None, **kwargs):
    headers = contacts_csv.csv_inspect(path=path).headers
    mapping = mapping or contacts_mapping.mapping_guess(headers=headers)
    return contacts_import(path=path, mapping=mapping, **kwargs)


# --- service ----------------------------------------------------------------------------------


def test_import_creates_new_contacts_in_stage_lead_with_history(tmp_path, marketer):
    path = write(
        tmp_path,
        HEADER
        + "ann@example.com,Ann,Lee,Acme,acme.com,120,Director,pro\n"
        + "bob@example.com,Bob,,,,,,\n",
    )
    result = run(path, by=marketer)

    assert (result.total, result.created, result.updated, result.rejected) == (2, 2, 0, 0)
    ann = Contact.objects.get(email="ann@example.com")
    assert (ann.first_name, ann.last_name, ann.seniority) == ("Ann", "Lee", "director")
    assert ann.lifecycle_stage == LifecycleStage.LEAD
    assert ann.attributes == {"Plan": "pro"}
    assert ann.company.domain == "acme.com" and ann.company.employee_count == 120
    history = StageChange.objects.get(contact=ann)
    assert (history.from_stage, history.to_stage, history.actor_user) == ("", "lead", marketer)
    assert history.reason == "Imported from contacts.csv"


def test_import_can_start_new_contacts_as_subscribers(tmp_path):
    path = write(tmp_path, "email\nsub@example.com\n")
    run(path, stage=LifecycleStage.SUBSCRIBER)
    contact = Contact.objects.get(email="sub@example.com")
    assert contact.lifecycle_stage == LifecycleStage.SUBSCRIBER
    assert contact.stage_changes.get().actor_system == "import"


def test_import_refuses_a_stage_other_than_lead_or_subscriber(tmp_path):
    path = write(tmp_path, "email\nx@example.com\n")
    with pytest.raises(DomainError) as exc:
        run(path, stage=LifecycleStage.CUSTOMER)
    assert exc.value.field == "stage"
    assert not Contact.objects.exists()


def test_import_updates_existing_contacts_matched_by_email_case_insensitively(tmp_path):
    known = ContactFactory(email="known@example.com", first_name="Old", job_title="CTO")
    known_stage = known.lifecycle_stage
    path = write(tmp_path, "Email,First name,Job title\nKNOWN@Example.COM,New,\n")

    result = run(path)

    assert (result.created, result.updated) == (0, 1)
    assert Contact.objects.count() == 1
    known.refresh_from_db()
    assert known.first_name == "New"
    assert known.job_title == "CTO"  # an empty cell leaves the stored value alone
    assert known.lifecycle_stage == known_stage
    assert known.stage_changes.count() == 1  # no new history for an update


def test_import_counts_a_row_that_changes_nothing_as_unchanged(tmp_path):
    ContactFactory(email="same@example.com", first_name="Sam")
    path = write(tmp_path, "email,first_name\nsame@example.com,Sam\n")
    result = run(path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def test_import_merges_custom_attributes_into_existing_ones(tmp_path):
    ContactFactory(email="a@example.com", attributes={"plan": "free", "seats": "3"})
    path = write(tmp_path, "email,plan\na@example.com,pro\n")
    run(path)
    assert Contact.objects.get(email="a@example.com").attributes == {"plan": "pro", "seats": "3"}


def test_import_rejects_bad_rows_naming_the_column_and_writes_nothing_for_them(tmp_path):
    path = write(
        tmp_path,
        "Email,Employees,Seniority,Country,Owner\n"
        "not-an-email,,,,\n"
        "a@example.com,lots,,,\n"
        "b@example.com,,wizard,,\n"
        "c@example.com,,,Germany,\n"
        "d@example.com,,,,nobody\n"
        ",,,,\n"  # blank lines are skipped, not rejected
        "ok@example.com,5,vp,de,\n",
    )
    rejected_path = tmp_path / "rejected.csv"
    result = run(path, rejected_path=rejected_path)

    assert (result.created, result.rejected) == (1, 5)
    assert list(Contact.objects.values_list("email", flat=True)) == ["ok@example.com"]
    reasons = {line: (column, reason) for line, column, reason in result.rejected_rows}
    assert reasons[2][0] == "Email (email)" and "not a valid email" in reasons[2][1]
    assert reasons[3][0] == "Employees (employee_count)" and "'lots'" in reasons[3][1]
    assert reasons[4][0] == "Seniority (seniority)" and "unknown value 'wizard'" in reasons[4][1]
    assert reasons[5][0] == "Country (country)"
    assert reasons[6] == ("owner", "no user 'nobody'")
    assert not Company.objects.exists()

    with open(rejected_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "line",
        "column",
        "reason",
        "Email",
        "Employees",
        "Seniority",
        "Country",
        "Owner",
    ]
    assert [row[0] for row in rows[1:]] == ["2", "3", "4", "5", "6"]
    assert rows[2][3:] == ["a@example.com", "lots", "", "", ""]


def test_import_sets_the_owner_by_username(tmp_path, rep):
    path = write(tmp_path, "email,owner\nowned@example.com,rep\n")
    run(path)
    assert Contact.objects.get(email="owned@example.com").owner == rep


def test_import_upserts_companies_by_domain(tmp_path):
    existing = CompanyFactory(name="Globex", domain="globex.com", employee_count=10)
    path = write(
        tmp_path,
        "email,company,domain,employees\n"
        "a@globex.com,,GLOBEX.com,500\n"
        "b@initech.com,Initech,https://www.initech.com/about,\n"
        "c@initech.com,,initech.com,\n",
    )
    run(path)

    existing.refresh_from_db()
    assert existing.employee_count == 500 and existing.name == "Globex"
    assert Company.objects.count() == 2
    initech = Company.objects.get(domain="initech.com")
    assert initech.name == "Initech"
    assert set(initech.contacts.values_list("email", flat=True)) == {
        "b@initech.com",
        "c@initech.com",
    }
    assert Contact.objects.get(email="a@globex.com").company == existing


def test_import_matches_companies_without_a_domain_by_name(tmp_path):
    path = write(tmp_path, "email,company\na@x.com,Umbrella\nb@x.com,umbrella\n")
    run(path)
    assert Company.objects.count() == 1
    assert Company.objects.get().contacts.count() == 2


def test_the_same_email_twice_in_a_file_applies_rows_in_order(tmp_path):
    path = write(
        tmp_path,
        "email,first_name,job_title\ntwice@example.com,First,CEO\nTWICE@example.com,Second,\n",
    )
    result = run(path)
    assert (result.created, result.updated) == (1, 1)
    contact = Contact.objects.get()
    assert (contact.first_name, contact.job_title) == ("Second", "CEO")
    assert contact.stage_changes.count() == 1


def test_import_works_across_chunks_and_reports_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(contacts_csv, "CHUNK", 2)
    lines = [f"p{i}@example.com,P{i}" for i in range(5)] + ["p0@example.com,Again"]
    path = write(tmp_path, "email,first_name\n" + "\n".join(lines) + "\n")
    seen = []

    result = run(path, progress=lambda r: seen.append(r.total))

    assert seen == [2, 4, 6]
    assert (result.total, result.created, result.updated) == (6, 5, 1)
    assert Contact.objects.get(email="p0@example.com").first_name == "Again"


def test_import_reads_semicolons_and_a_byte_order_mark(tmp_path):
    path = write(tmp_path, "Email;First name\nsemi@example.com;Zoë\n", encoding="utf-8-sig")
    result = run(path)
    assert result.created == 1
    assert Contact.objects.get(email="semi@example.com").first_name == "Zoë"


def test_a_mapping_without_email_is_refused(tmp_path):
    path = write(tmp_path, "email,first_name\na@example.com,A\n")
    with pytest.raises(DomainError) as exc:
        contacts_import(path=path, mapping={"email": "", "first_name": "first_name"})
    assert exc.value.field == "email"


def test_a_field_mapped_twice_is_refused(tmp_path):
    path = write(tmp_path, "email,name,given\na@example.com,A,B\n")
    with pytest.raises(DomainError, match="both mapped to first_name"):
        contacts_import(
            path=path, mapping={"email": "email", "name": "first_name", "given": "first_name"}
        )


def test_mapping_guess_understands_common_header_names():
    guessed = contacts_mapping.mapping_guess(
        headers=["E-mail", "First Name", "Surname", "Organisation", "Website", "Shoe size"]
    )
    assert guessed == {
        "E-mail": "email",
        "First Name": "first_name",
        "Surname": "last_name",
        "Organisation": "company_name",
        "Website": "company_domain",
        "Shoe size": "attribute",
    }


def test_annual_revenue_is_parsed_as_an_amount(tmp_path):
    path = write(tmp_path, 'email,domain,annual revenue\nr@acme.io,acme.io,"1,250,000.5"\n')
    run(path)
    assert Company.objects.get().annual_revenue == Decimal("1250000.50")


# --- command ----------------------------------------------------------------------------------


def test_command_imports_and_writes_the_rejected_rows_next_to_the_file(tmp_path, marketer):
    path = write(tmp_path, "Mail,Given\ncmd@example.com,Cid\nbroken,X\n")
    out = io.StringIO()
    call_command(
        "import_contacts", str(path), "--map", "Mail=email", "--map", "Given=first_name",
        "--by", "marketer", stdout=out,
    )  # fmt: skip
    output = out.getvalue()
    assert "rows: 2, created: 1, updated: 0, unchanged: 0, rejected: 1" in output
    report = tmp_path / "contacts.rejected.csv"
    assert f"rejected rows: {report}" in output
    assert "not a valid email" in report.read_text()
    contact = Contact.objects.get(email="cmd@example.com")
    assert contact.first_name == "Cid"
    assert contact.stage_changes.get().actor_user == marketer


def test_command_refuses_an_unknown_user_and_a_missing_email_column(tmp_path):
    path = write(tmp_path, "name\nA\n")
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("import_contacts", str(path), "--by", "ghost")
    with pytest.raises(CommandError, match="email"):
        call_command("import_contacts", str(path))


# --- jobs -------------------------------------------------------------------------------------


def make_job(user, text="email\njob@example.com\n", name="job.csv"):
    job, _info = import_job_create(
        by=user, upload=SimpleUploadedFile(name, text.encode()), filename=name
    )
    return job


def test_a_job_runs_once_even_when_started_twice(marketer):
    job = make_job(marketer)
    ImportJob.objects.filter(pk=job.pk).update(mapping={"email": "email"})

    assert import_job_run(job_id=job.pk) is True
    assert import_job_run(job_id=job.pk) is False

    job.refresh_from_db()
    assert (job.status, job.created_count, job.processed_rows) == (ImportStatus.DONE, 1, 1)
    assert Contact.objects.count() == 1


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_reps_and_managers_may_not_import(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("import-jobs")).status_code == 403
    assert client.get(reverse("import-upload")).status_code == 403
    upload = SimpleUploadedFile("c.csv", b"email\nx@example.com\n")
    assert client.post(reverse("import-upload"), {"file": upload}).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("who", ["marketer", "admin_user"])
def test_marketers_and_admins_see_the_import_pages(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("import-jobs")).status_code == 200
    response = client.get(reverse("import-upload"))
    assert response.status_code == 200
    assert b'type="file"' in response.content
    assert reverse("import-jobs").encode() in client.get(reverse("contacts")).content


def test_upload_map_and_report_in_the_browser(client, marketer):
    client.force_login(marketer)
    ContactFactory(email="old@example.com", first_name="Old")
    text = (
        "Email,First name,Favourite colour\n"
        "new@example.com,New,blue\n"
        "OLD@example.com,Updated,\n"
        "nope,Bad,\n"
    )
    response = client.post(
        reverse("import-upload"), {"file": SimpleUploadedFile("people.csv", text.encode())}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("import-map", args=[job.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "new@example.com" in html  # the preview
    assert '<option value="email" selected>' in html  # guessed from the header

    response = client.post(
        reverse("import-map", args=[job.pk]),
        {"col_0": "email", "col_1": "first_name", "col_2": "attribute", "stage": "lead"},
    )
    assert response.status_code == 302
    assert response.url == reverse("import-job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.updated_count, job.rejected_count) == (1, 1, 1)

    report = client.get(response.url).content.decode()
    assert 'id="count-created">1<' in report
    assert "not a valid email" in report
    assert "every 1s" not in report  # finished: no more polling

    download = client.get(reverse("import-rejected", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="people-rejected.csv"'
    body = b"".join(download.streaming_content).decode()
    assert body.splitlines()[1].startswith("4,Email (email),")
    assert Contact.objects.get(email="old@example.com").first_name == "Updated"
    assert Contact.objects.get(email="new@example.com").attributes == {"Favourite colour": "blue"}


def test_the_job_page_polls_while_the_import_runs(client, marketer):
    client.force_login(marketer)
    job = make_job(marketer)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, total_rows=10, processed_rows=4
    )
    response = client.get(reverse("import-job", args=[job.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<progress value="4" max="10"' in html
    assert "<html" not in html  # only the partial


def test_a_large_file_runs_as_a_celery_task(client, marketer, monkeypatch,
                                            django_capture_on_commit_callbacks):  # fmt: skip
    monkeypatch.setattr(jobs, "INLINE_MAX_ROWS", 1)
    client.force_login(marketer)
    job = make_job(marketer, "email\nt1@example.com\nt2@example.com\n")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("import-map", args=[job.pk]), {"col_0": "email", "stage": "lead"})
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING  # queued, not run inline
    assert len(callbacks) == 1
    callbacks[0]()  # the on_commit hook sends the task (eager in the tests)
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 2)


def test_other_peoples_jobs_are_404_but_admins_see_them(client, marketer, admin_user):
    from tests.factories import user_with_role

    other = user_with_role("marketing", username="other_marketer")
    job = make_job(other)
    client.force_login(marketer)
    for name in ("import-job", "import-map", "import-rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("import-map", args=[job.pk]), {"col_0": "email"}).status_code == 404
    assert b"job.csv" not in client.get(reverse("import-jobs")).content

    client.force_login(admin_user)
    assert client.get(reverse("import-job", args=[job.pk])).status_code == 200
    assert b"job.csv" in client.get(reverse("import-jobs")).content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("people.xlsx", b"PK\x03\x04", "Upload a .csv file"),
        ("empty.csv", b"", "file is empty"),
        ("header.csv", b"email\n", "has a header line but no rows"),
        ("latin1.csv", "email,name\nz@example.com,Zo\xeb\n".encode("latin-1"), "not a UTF-8"),
        ("dup.csv", b"email,Email\na@b.co,a@b.co\n", "appears twice"),
    ],
)
def test_bad_files_get_a_clear_error(client, marketer, name, content, message):
    client.force_login(marketer)
    response = client.post(reverse("import-upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, marketer, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0
    client.force_login(marketer)
    response = client.post(
        reverse("import-upload"), {"file": SimpleUploadedFile("c.csv", b"email\na@b.co\n")}
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()


def test_mapping_without_an_email_column_shows_an_error(client, marketer):
    client.force_login(marketer)
    job = make_job(marketer, "Mail,Name\na@example.com,A\n")
    response = client.post(
        reverse("import-map", args=[job.pk]), {"col_0": "", "col_1": "first_name", "stage": "lead"}
    )
    assert response.status_code == 400
    assert "Map one column to email" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING
    assert not Contact.objects.exists()

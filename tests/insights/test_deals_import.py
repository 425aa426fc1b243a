"""CSV imports of deals and campaign spend through leads' import machinery: the same upload,
mapping, job and rejected-rows report as contacts, each row written by insights' writer."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.exceptions import DomainError
from insights.models import CampaignSpend, Deal
from leads.imports import jobs
from leads.imports.jobs import import_job_create, import_job_run, import_job_start
from leads.imports.kinds import import_kind_get
from leads.imports.rows import rows_import
from leads.models import Contact, ImportJob, ImportStatus, LifecycleStage
from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db

DEALS = (
    "Deal id,Deal name,Email,Amount,Stage,Closed,Lost reason\n"
    'D-1,Acme,ann@example.com,"12,000",open,,\n'
    "D-2,Beta,bob@example.com,500.50,Closed Won,2026-01-15,\n"
    "D-3,Gamma,ann@example.com,-3,open,,\n"
    "D-4,Delta,nobody@example.com,10,open,,\n"
    "D-5,Eps,bob@example.com,10,maybe,,\n"
    "D-6,Zeta,bob@example.com,10,lost,2026-01-20,Price\n"
)
DEAL_MAPPING = {
    "Deal id": "external_id",
    "Deal name": "name",
    "Email": "contact_email",
    "Amount": "amount",
    "Stage": "stage",
    "Closed": "closed_at",
    "Lost reason": "lost_reason",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people_in_crm(db):
    return (
        ContactFactory(email="ann@example.com"),
        ContactFactory(email="bob@example.com", lifecycle_stage=LifecycleStage.SQL),
    )


def make_job(user, text, kind, name="deals.csv"):
    job, _info = import_job_create(
        by=user, upload=SimpleUploadedFile(name, text.encode()), filename=name, kind=kind
    )
    return job


def test_a_deals_file_imports_through_the_job_with_rejected_rows_reported(
    marketer, people_in_crm, tmp_path
):
    ann, bob = people_in_crm
    job = make_job(marketer, DEALS, "deals")
    import_job_start(job=job, mapping=DEAL_MAPPING)
    job.refresh_from_db()

    assert job.status == ImportStatus.DONE, job.error
    assert (job.total_rows, job.created_count, job.rejected_count) == (6, 3, 3)
    assert [(line, column) for line, column, _why in job.rejected_rows] == [
        (4, "Amount (amount)"),
        (5, "Email (contact_email)"),
        (6, "Stage (stage)"),
    ]
    assert "negative" in job.rejected_rows[0][2]
    report = job.rejected_file.open("rb").read().decode().splitlines()
    assert report[0] == "line,column,reason,Deal id,Deal name,Email,Amount,Stage,Closed,Lost reason"
    assert report[1].startswith("4,Amount (amount),") and report[1].endswith(
        "D-3,Gamma,ann@example.com,'-3,open,,"  # a cell starting a formula is escaped
    )

    acme = Deal.objects.get(external_id="D-1")
    assert (acme.contact, acme.amount, acme.stage, acme.source) == (
        ann,
        Decimal("12000"),
        "open",
        "",
    )
    beta = Deal.objects.get(external_id="D-2")
    assert beta.stage == "won" and beta.closed_at.date() == date(2026, 1, 15)
    assert Deal.objects.get(external_id="D-6").lost_reason == "Price"
    assert Contact.objects.get(pk=ann.pk).lifecycle_stage == LifecycleStage.OPPORTUNITY
    assert Contact.objects.get(pk=bob.pk).lifecycle_stage == LifecycleStage.CUSTOMER


def test_importing_the_same_deals_file_again_duplicates_nothing(marketer, people_in_crm):
    for expected_created in (3, 0):
        job = make_job(marketer, DEALS, "deals")
        import_job_start(job=job, mapping=DEAL_MAPPING)
        job.refresh_from_db()
        assert (job.created_count, job.rejected_count) == (expected_created, 3)
    assert job.unchanged_count == 3
    assert Deal.objects.count() == 3


def test_a_deals_mapping_needs_the_external_id_name_email_and_amount(marketer, people_in_crm):
    job = make_job(marketer, DEALS, "deals")
    with pytest.raises(DomainError) as refused:
        import_job_start(job=job, mapping={"Deal name": "name", "Email": "contact_email"})
    assert refused.value.field == "mapping"
    assert "external_id" in refused.value.message and "amount" in refused.value.message


def test_an_empty_required_cell_rejects_the_row(marketer, people_in_crm, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,name,email,amount\n,No id,ann@example.com,5\nX,Ok,ann@example.com,5\n")
    result = rows_import(
        kind=import_kind_get("deals"),
        path=path,
        mapping={"id": "external_id", "name": "name", "email": "contact_email", "amount": "amount"},
        by=marketer,
    )
    assert (result.created, result.rejected) == (1, 1)
    assert result.rejected_rows == [[2, "id (external_id)", "is empty"]]


def test_a_company_domain_column_names_the_deals_company(marketer, people_in_crm, tmp_path):
    company = CompanyFactory(domain="beta.example")
    path = tmp_path / "d.csv"
    path.write_text(
        "id,name,email,amount,domain\n1,A,ann@example.com,5,BETA.example\n2,B,ann@example.com,5,gone.example\n"
    )
    kind = import_kind_get("deals")
    mapping = {
        "id": "external_id",
        "name": "name",
        "email": "contact_email",
        "amount": "amount",
        "domain": "company_domain",
    }
    result = rows_import(kind=kind, path=path, mapping=mapping, by=marketer)
    assert Deal.objects.get(external_id="1").company == company
    assert result.rejected_rows == [
        [3, "domain (company_domain)", "no company with the domain 'gone.example'"]
    ]


def test_a_spend_file_imports_and_reimports_by_campaign_channel_and_month(marketer):
    text = (
        "Campaign,Channel,Month,Spend\n"
        'spring,google_ads,2026-03,"1,500"\n'
        "spring,linkedin,2026-03-01,800\n"
        "spring,linkedin,March,800\n"
    )
    mapping = {"Campaign": "campaign", "Channel": "channel", "Month": "month", "Spend": "amount"}
    job = make_job(marketer, text, "campaign_spend", name="spend.csv")
    import_job_start(job=job, mapping=mapping)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rejected_count) == (ImportStatus.DONE, 2, 1)
    assert job.rejected_rows[0][:2] == [4, "Month (month)"]
    assert CampaignSpend.objects.get(channel="google_ads").amount == Decimal("1500")

    job = make_job(marketer, text.replace("800", "900"), "campaign_spend", name="spend.csv")
    import_job_start(job=job, mapping=mapping)
    job.refresh_from_db()
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert CampaignSpend.objects.count() == 2


def test_a_large_deals_file_runs_as_a_celery_task_like_contacts(
    marketer, people_in_crm, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "INLINE_MAX_ROWS", 1)
    job = make_job(marketer, DEALS, "deals")
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, mapping=DEAL_MAPPING)
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.DONE, 3)
    assert import_job_run(job_id=job.pk) is False  # claimed once


# --- pages --------------------------------------------------------------------------------------


def test_upload_map_and_report_of_deals_in_the_browser(client, marketer, people_in_crm):
    client.force_login(marketer)
    page = client.get(reverse("import-upload"), {"kind": "deals"}).content.decode()
    assert "Import deals" in page and "source and external id" in page

    response = client.post(
        reverse("import-upload"),
        {"kind": "deals", "file": SimpleUploadedFile("deals.csv", DEALS.encode())},
    )
    job = ImportJob.objects.get()
    assert job.kind == "deals"
    assert response.status_code == 302 and response.url == reverse("import-map", args=[job.pk])

    html = client.get(response.url).content.decode()
    assert '<option value="external_id" selected>' in html  # "Deal id" guessed
    assert '<option value="contact_email" selected>' in html
    assert 'name="stage"' not in html  # the contacts' initial stage is not asked for deals

    columns = list(DEAL_MAPPING.values())
    response = client.post(
        reverse("import-map", args=[job.pk]),
        {f"col_{i}": target for i, target in enumerate(columns)},
    )
    assert response.status_code == 302
    report = client.get(response.url).content.decode()
    assert 'id="count-created">3<' in report and 'id="count-rejected">3<' in report
    download = client.get(reverse("import-rejected", args=[job.pk]))
    assert b"".join(download.streaming_content).decode().count("\n") == 4

    listing = client.get(reverse("import-jobs")).content.decode()
    assert "deals.csv" in listing and "<td>Deals</td>" in listing


def test_a_mapping_without_the_required_columns_is_shown_on_the_page(
    client, marketer, people_in_crm
):
    client.force_login(marketer)
    job = make_job(marketer, DEALS, "deals")
    response = client.post(reverse("import-map", args=[job.pk]), {"col_1": "name"})
    assert response.status_code == 400
    assert "external_id" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING


@pytest.mark.parametrize("who", ["rep", "manager"])
def test_sales_may_not_import_deals(client, request, who):
    client.force_login(request.getfixturevalue(who))
    upload = SimpleUploadedFile("d.csv", DEALS.encode())
    response = client.post(reverse("import-upload"), {"kind": "deals", "file": upload})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_an_unknown_kind_is_refused_next_to_the_field(client, marketer):
    client.force_login(marketer)
    upload = SimpleUploadedFile("d.csv", DEALS.encode())
    response = client.post(reverse("import-upload"), {"kind": "spaceships", "file": upload})
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_a_user_sees_only_the_import_jobs_of_kinds_they_may_import(client, marketer, people_in_crm):
    job = make_job(marketer, DEALS, "deals")
    marketer.groups.clear()
    marketer.user_permissions.add(
        *Permission.objects.filter(codename__in=["import_contacts", "view_contact"])
    )
    client.force_login(marketer)
    assert client.get(reverse("import-jobs")).status_code == 200
    assert client.get(reverse("import-job", args=[job.pk])).status_code == 404

import csv
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from leads.importing import events_import
from leads.models import ActivityEvent, Contact, LifecycleStage, StageChange
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=False)


def _write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh,
            fieldnames=[
                "contact",
                "email",
                "event_type",
                "occurred_at",
                "properties",
                "source",
                "external_id",
            ],
        )
        writer.writeheader()
        for row in rows:
            writer.writerow(row)


def _event(**kw):
    base = {
        "contact": "",
        "email": "",
        "event_type": "page_view",
        "occurred_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "properties": json.dumps({"url": "/pricing"}),
        "source": "legacy",
        "external_id": "",
    }
    base.update(kw)
    return base


def test_running_the_same_file_twice_adds_nothing(tmp_path):
    contact = ContactFactory()
    path = tmp_path / "events.csv"
    _write_csv(path, [_event(contact=contact.pk, external_id=f"e{i}") for i in range(5)])

    first = events_import(path=path)
    second = events_import(path=path)

    assert first.created == 5
    assert second.created == 0 and second.duplicates == 5
    assert ActivityEvent.objects.filter(contact=contact).count() == 5


def test_rejected_lines_are_reported_with_line_and_reason_and_not_written(tmp_path):
    contact = ContactFactory()
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    path = tmp_path / "events.csv"
    _write_csv(
        path,
        [
            _event(contact=contact.pk, external_id="ok"),
            _event(contact=contact.pk, event_type="teleport", external_id="a"),
            _event(contact=contact.pk, occurred_at="yesterday", external_id="b"),
            _event(contact=contact.pk, occurred_at=future, external_id="c"),
            _event(contact=999999, external_id="d"),
            _event(email="not-an-email", external_id="e"),
            _event(contact=contact.pk, properties="{bad", external_id="f"),
        ],
    )
    report = tmp_path / "report.csv"

    result = events_import(path=path, report_path=report)

    assert result.created == 1
    assert ActivityEvent.objects.count() == 1
    reasons = dict(result.rejected)
    assert reasons[3].startswith("event_type")
    assert reasons[4].startswith("occurred_at")
    assert "future" in reasons[5]
    assert reasons[6].startswith("contact: unknown id")
    assert reasons[7].startswith("email")
    assert reasons[8].startswith("properties")
    lines = list(csv.reader(report.open()))
    assert lines[0] == ["line", "reason"] and len(lines) == 7


def test_unknown_email_creates_a_lead_with_its_first_stage_change(tmp_path):
    path = tmp_path / "events.ndjson"
    occurred = (timezone.now() - timedelta(hours=2)).isoformat()
    lines = [
        {
            "email": "New.Person@Example.com",
            "event_type": "form_submit",
            "occurred_at": occurred,
            "source": "legacy",
            "external_id": "x1",
        },
        {
            "email": "new.person@example.com",
            "event_type": "page_view",
            "occurred_at": occurred,
            "source": "legacy",
            "external_id": "x2",
        },
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    result = events_import(path=path)

    contact = Contact.objects.get(email="new.person@example.com")
    assert result.created == 2 and result.contacts_created == 1
    assert contact.lifecycle_stage == LifecycleStage.LEAD
    history = list(StageChange.objects.filter(contact=contact))
    assert [h.to_stage for h in history] == [LifecycleStage.LEAD]
    assert contact.events.count() == 2


def test_command_prints_counts_and_writes_report_next_to_input(tmp_path, capsys):
    contact = ContactFactory()
    path = tmp_path / "events.csv"
    _write_csv(path, [_event(contact=contact.pk, external_id="1"), _event(event_type="x")])

    call_command("import_events", str(path))

    out = capsys.readouterr().out
    assert "created: 1" in out and "rejected: 1" in out
    assert (tmp_path / "events.csv.rejected.csv").exists()

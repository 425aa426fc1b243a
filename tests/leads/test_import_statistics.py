"""Bulk loads leave planner statistics behind them (autovacuum may be off or late), so the
rescore they queue is never planned for a table PostgreSQL believes empty."""

import json

import pytest
from django.db import connection
from django.utils import timezone

from leads.generate import data_generate
from leads.imports import contacts_csv, contacts_mapping
from leads.imports.events_file import events_import
from leads.models import ActivityEvent, Company, Contact, StageChange
from tests.statistics import last_analyze, statistics_forget

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics"),
]


def test_a_contact_import_analyzes_the_tables_it_filled(tmp_path):
    statistics_forget(Contact, Company, StageChange)
    assert last_analyze(Contact) is None
    path = tmp_path / "contacts.csv"
    path.write_text(
        "Email,First name,Company,Domain\nann@acme.com,Ann,Acme,acme.com\n",
        encoding="utf-8",
    )
    headers = contacts_csv.csv_inspect(path=path).headers
    result = contacts_csv.contacts_import(
        path=path, mapping=contacts_mapping.mapping_guess(headers=headers)
    )
    assert result.created == 1
    assert last_analyze(Contact) and last_analyze(Company) and last_analyze(StageChange)


def test_an_event_import_analyzes_the_events_table(tmp_path):
    statistics_forget(ActivityEvent, Contact)
    path = tmp_path / "events.ndjson"
    event = {"email": "new@x.example", "event_type": "page_view", "source": "t", "external_id": "1"}
    event["occurred_at"] = timezone.now().isoformat()
    path.write_text(json.dumps(event) + "\n", encoding="utf-8")
    result = events_import(path=path)
    assert result.created == 1, result
    assert last_analyze(ActivityEvent) and last_analyze(Contact)


def test_generated_data_is_analyzed():
    statistics_forget(ActivityEvent, Contact, Company, StageChange)
    data_generate(contacts=5, events=20, seed=1)
    assert all(last_analyze(m) for m in (ActivityEvent, Contact, Company, StageChange))

"""A full rescore and a draft preview first analyze a table that has no statistics yet."""

import pytest
from django.db import connection

from core.db import analyze_missing, tables_without_statistics
from leads.models import ActivityEvent, Company, Contact
from scoring.preview import draft_preview
from scoring.rescore import rescore_begin
from scoring.services import model_create
from tests.factories import BASE, RescoreRunFactory
from tests.statistics import last_analyze, statistics_forget

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics"),
]
SCORED = (Contact, Company, ActivityEvent)


def test_analyze_missing_analyzes_only_tables_without_statistics():
    analyze_missing(*SCORED)
    statistics_forget(Contact)
    assert tables_without_statistics(*SCORED) == [Contact._meta.db_table]
    assert analyze_missing(*SCORED) == [Contact._meta.db_table]
    assert last_analyze(Contact) is not None
    assert tables_without_statistics(*SCORED) == []


def test_a_preview_analyzes_tables_without_statistics_first(marketer):
    statistics_forget(*SCORED)
    model = model_create(data={**BASE, "name": "Draft"}, by=marketer)
    draft_preview(model=model)
    assert all(last_analyze(m) is not None for m in SCORED)


def test_a_full_rescore_analyzes_tables_without_statistics_first():
    statistics_forget(*SCORED)
    run = RescoreRunFactory()
    assert rescore_begin(run_id=run.pk)
    assert all(last_analyze(m) is not None for m in SCORED)

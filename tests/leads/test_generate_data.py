import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from core import roles
from leads.models import ActivityEvent, Company, Contact, EventType, LifecycleStage, StageChange
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def generate(**options):
    call_command("generate_data", **{"contacts": 300, "events": 4000, "companies": 12, **options})


def test_generate_data_writes_exactly_the_counts_asked_for():
    generate(seed=3)

    assert Company.objects.count() == 12
    assert Contact.objects.count() == 300
    assert ActivityEvent.objects.count() == 4000
    assert StageChange.objects.count() >= 300


def test_generated_rows_point_at_rows_that_exist():
    generate()

    assert not ActivityEvent.objects.exclude(contact__in=Contact.objects.all()).exists()
    assert not Contact.objects.exclude(company__in=Company.objects.all()).exists()
    assert set(StageChange.objects.values_list("contact_id", flat=True).distinct()) == set(
        Contact.objects.values_list("id", flat=True)
    )
    for contact in Contact.objects.all():
        last = contact.stage_changes.order_by("changed_at", "id").last()
        assert last.to_stage == contact.lifecycle_stage
        assert last.changed_at == contact.stage_entered_at


def test_generated_events_have_valid_types_and_skew():
    generate(contacts=500, events=20_000)

    assert set(ActivityEvent.objects.values_list("event_type", flat=True).distinct()) <= set(
        EventType.values
    )
    assert set(Contact.objects.values_list("lifecycle_stage", flat=True).distinct()) <= set(
        LifecycleStage.values
    )
    per_contact = sorted(
        ActivityEvent.objects.values("contact").annotate(n=Count("id")).values_list("n", flat=True),
        reverse=True,
    )
    assert 0.15 < 1 - len(per_contact) / 500 < 0.45  # about 30% of contacts without events
    assert sum(per_contact[:50]) > 0.4 * 20_000  # a tenth of the contacts: a large share


def test_a_second_run_adds_more_without_colliding():
    generate(seed=1)
    generate(seed=1)

    assert Contact.objects.count() == 600
    assert ActivityEvent.objects.count() == 8000
    assert Company.objects.count() == 24
    assert ActivityEvent.objects.values("source", "external_id").distinct().count() == 8000


def test_generated_contacts_past_mql_are_owned_by_reps():
    rep = user_with_role(roles.SALES_REP, username="rep9")

    generate(history=False)  # the history gives each MQL's contact to its rep

    past_mql = Contact.objects.filter(
        lifecycle_stage__in=[
            LifecycleStage.SQL,
            LifecycleStage.OPPORTUNITY,
            LifecycleStage.CUSTOMER,
        ]
    )
    assert past_mql.exists()
    assert set(past_mql.values_list("owner", flat=True)) == {rep.pk}
    assert not Contact.objects.filter(lifecycle_stage=LifecycleStage.LEAD).exclude(owner=None)


def test_the_same_seed_generates_the_same_data():
    generate(seed=7)
    first = list(Contact.objects.order_by("id").values_list("first_name", "lifecycle_stage"))
    generate(seed=7)
    second = list(Contact.objects.order_by("id").values_list("first_name", "lifecycle_stage"))

    assert second[300:] == first


@pytest.mark.parametrize(
    "options, field",
    [
        ({"contacts": -1}, "--contacts"),
        ({"events": -5}, "--events"),
        ({"days": 0}, "--days"),
        ({"contacts": 0, "events": 10}, "--events"),
        ({"history_days": 0}, "--history-days"),
    ],
)
def test_generate_data_refuses_bad_counts_and_writes_nothing(options, field):
    with pytest.raises(CommandError, match=field):
        generate(**options)

    assert not Contact.objects.exists() and not Company.objects.exists()


@pytest.mark.postgres
def test_dropping_event_indexes_for_the_load_restores_them_exactly():
    if connection.vendor != "postgresql":
        pytest.skip("index handling is PostgreSQL only")

    def definitions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
                " UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass",
                [ActivityEvent._meta.db_table] * 2,
            )
            return sorted(cursor.fetchall())

    before = definitions()

    generate(drop_indexes="yes")

    assert definitions() == before
    assert ActivityEvent.objects.count() == 4000


def test_vocabulary_holds_nothing_that_copy_text_format_would_need_to_escape():
    from leads.generate import vocabulary

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from strings(key)
                yield from strings(item)
        elif isinstance(value, list | tuple | frozenset):
            for item in value:
                yield from strings(item)

    values = [v for name, v in vars(vocabulary).items() if name.isupper()]
    types, _weights, details = vocabulary.event_catalogue()
    found = list(strings(values)) + list(strings(types)) + list(strings(list(details.values())))
    assert len(found) > 100
    assert not [s for s in found if set(s) & {"\t", "\n", "\r", "\\"}]

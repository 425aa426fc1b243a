from datetime import timedelta
from itertools import pairwise

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import Count, Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import roles
from leads.lifecycle import Move, classify_move
from leads.models import ActivityEvent, Company, Contact, EventType, LifecycleStage, StageChange

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "marketer": roles.MARKETING,
    "manager": roles.SALES_MANAGER,
    "admin": roles.ADMIN,
    **{f"rep{i}": roles.SALES_REP for i in range(1, 6)},
}


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "companies": Company.objects.count(),
        "contacts": Contact.objects.count(),
        "stage_changes": StageChange.objects.count(),
        "events": ActivityEvent.objects.count(),
    }


def test_seed_demo_creates_a_user_for_every_role(capsys):
    call_command("seed_demo")

    for username, role in EXPECTED_ROLES.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()
    out = capsys.readouterr().out
    assert all(username in out for username in EXPECTED_ROLES)


def test_seed_demo_fills_contacts_companies_and_events_in_the_expected_ranges():
    call_command("seed_demo")

    n = counts()
    assert 250 <= n["companies"] <= 350
    assert 1800 <= n["contacts"] <= 2200
    assert 40_000 <= n["events"] <= 60_000
    by_stage = dict(Contact.objects.values_list("lifecycle_stage").annotate(n=Count("id")))
    assert set(by_stage) == set(LifecycleStage.values)
    assert by_stage[LifecycleStage.LEAD] == max(by_stage.values())
    assert set(ActivityEvent.objects.values_list("event_type", flat=True).distinct()) == set(
        EventType.values
    )
    oldest = ActivityEvent.objects.order_by("occurred_at").first().occurred_at
    assert oldest >= timezone.now() - timedelta(days=90, minutes=5)
    assert ActivityEvent.objects.filter(properties__url="/pricing").exists()


def test_seed_demo_activity_is_skewed_to_few_contacts_and_recent_days():
    call_command("seed_demo")

    per_contact = sorted(
        ActivityEvent.objects.values("contact").annotate(n=Count("id")).values_list("n", flat=True),
        reverse=True,
    )
    contacts = Contact.objects.count()
    assert 0.15 < 1 - len(per_contact) / contacts < 0.45  # about 30% without any event
    top_tenth = sum(per_contact[: contacts // 10])
    assert top_tenth > 0.5 * sum(per_contact)
    now = timezone.now()
    last_month = ActivityEvent.objects.filter(occurred_at__gte=now - timedelta(days=30)).count()
    first_month = ActivityEvent.objects.filter(occurred_at__lt=now - timedelta(days=60)).count()
    assert last_month > 2 * first_month


def test_seed_demo_history_leads_to_each_contacts_stage_through_allowed_moves():
    call_command("seed_demo")

    history: dict[int, list[StageChange]] = {}
    for change in StageChange.objects.order_by("contact_id", "changed_at", "id"):
        history.setdefault(change.contact_id, []).append(change)
    contacts = Contact.objects.all()
    assert len(history) == contacts.count()
    for contact in contacts:
        changes = history[contact.pk]
        assert changes[0].from_stage == ""
        assert changes[-1].to_stage == contact.lifecycle_stage
        assert changes[-1].changed_at == contact.stage_entered_at
        assert changes[0].changed_at == contact.created_at
        for before, after in pairwise(changes):
            assert after.from_stage == before.to_stage
            assert classify_move(after.from_stage, after.to_stage) in (Move.FORWARD, Move.SIDE)
    assert set(StageChange.objects.values_list("actor_system", flat=True)) == {"seed_demo"}


def test_seed_demo_gives_contacts_past_mql_to_the_reps():
    call_command("seed_demo")

    past_mql = [LifecycleStage.SQL, LifecycleStage.OPPORTUNITY, LifecycleStage.CUSTOMER]
    owned = Contact.objects.filter(lifecycle_stage__in=past_mql)
    assert owned.exists() and not owned.filter(owner=None).exists()
    owners = set(owned.values_list("owner__username", flat=True))
    assert owners == {f"rep{i}" for i in range(1, 6)}


def test_running_seed_demo_twice_adds_nothing(capsys):
    call_command("seed_demo")
    first = counts()
    latest = ActivityEvent.objects.aggregate(Max("id"))

    call_command("seed_demo")

    assert counts() == first
    assert ActivityEvent.objects.aggregate(Max("id")) == latest
    assert "already present" in capsys.readouterr().out


def test_seed_demo_is_deterministic():
    call_command("seed_demo")
    emails = list(Contact.objects.order_by("id").values_list("email", flat=True)[:50])
    Contact.objects.all().delete()  # cascades to events and history, demo marker included
    Company.objects.all().delete()

    call_command("seed_demo")

    assert list(Contact.objects.order_by("id").values_list("email", flat=True)[:50]) == emails


def test_demo_users_log_in_with_the_demo_password(settings):
    settings.DEMO_PASSWORD = "another-demo-pass"
    call_command("seed_demo")

    for username in ("marketer", "rep3", "admin"):
        client = Client()
        response = client.post(
            reverse("login"), {"username": username, "password": "another-demo-pass"}
        )
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
    refused = Client().post(reverse("login"), {"username": "manager", "password": "demo"})
    assert refused.status_code == 200

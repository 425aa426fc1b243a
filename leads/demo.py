"""Demo data for `make run`: one user per role, ~300 companies, ~2,000 contacts, ~50,000 events,
and, through hooks.demo_seed, the demo data of the apps above (a published scoring model,
sales teams, routing, six months of MQLs with decisions, deals and campaign spend).

Deterministic (fixed seed) and idempotent: users are created when missing, and the data set is
written once, in one transaction; a second run finds its history rows and adds nothing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from core import roles
from leads import hooks
from leads.generate import GenerateResult, data_generate
from leads.models import StageChange

ACTOR = "seed_demo"
SEED = 2026
COMPANIES = 300
CONTACTS = 2000
EVENTS = 50_000
DAYS = 90  # events
STAGE_DAYS = 200  # stage histories: the apps above give the last six months a history
# (username, role, first name, last name)
USERS = (
    ("marketer", roles.MARKETING, "Mara", "Marketing"),
    ("manager", roles.SALES_MANAGER, "Max", "Manager"),
    ("admin", roles.ADMIN, "Ada", "Admin"),
    *(
        (f"rep{i}", roles.SALES_REP, name, "Rep")
        for i, name in enumerate(("Riley", "Robin", "Remy", "Rowan", "Reese"), start=1)
    ),
)


@dataclass
class DemoResult:
    users_created: list[str]
    data: GenerateResult | None  # None when the data set was already there


def demo_users_ensure(*, password: str) -> list[str]:
    """Create the demo users that are missing (existing ones are left as they are)."""
    User = get_user_model()
    hashed = make_password(password)  # hashing is slow by design: once for all users
    created = []
    for username, role, first, last in USERS:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create(
            username=username,
            email=f"{username}@leadbridge.example",
            password=hashed,
            first_name=first,
            last_name=last,
            is_staff=role == roles.ADMIN,
            is_superuser=role == roles.ADMIN,
        )
        user.groups.add(Group.objects.get(name=role))
        created.append(username)
    return created


def demo_seed(*, password: str | None = None) -> DemoResult:
    """Users for every role and, once, the demo data set (contacts past MQL owned by the reps)."""
    password = settings.DEMO_PASSWORD if password is None else password
    with transaction.atomic():
        users = demo_users_ensure(password=password)
        if StageChange.objects.filter(actor_system=ACTOR).exists():
            hooks.demo_seed()  # a database seeded before the apps above had demo data gets it now
            return DemoResult(users_created=users, data=None)
        reps = list(
            get_user_model()
            .objects.filter(groups__name=roles.SALES_REP, username__in=[u[0] for u in USERS])
            .order_by("username")
            .values_list("pk", flat=True)
        )
        data = data_generate(
            contacts=CONTACTS,
            events=EVENTS,
            companies=COMPANIES,
            days=DAYS,
            seed=SEED,
            run="",
            owner_ids=reps,
            actor=ACTOR,
            chunk_contacts=CONTACTS,
            stage_days=STAGE_DAYS,
        )
        hooks.demo_seed()
    return DemoResult(users_created=users, data=data)


def demo_logins() -> list[tuple[str, str]]:
    """(username, role) of every demo user, for the logins table."""
    return [(username, role) for username, role, _first, _last in USERS]

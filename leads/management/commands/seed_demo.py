from django.conf import settings
from django.core.management.base import BaseCommand

from leads.demo import demo_logins, demo_seed


class Command(BaseCommand):
    help = (
        "Create demo users for every role and demo contacts, companies and events "
        "(idempotent: a second run adds nothing)."
    )

    def handle(self, *args, **options):
        result = demo_seed()
        if result.users_created:
            self.stdout.write(f"Created users: {', '.join(result.users_created)}")
        if result.data is None:
            self.stdout.write("Demo data already present: nothing added.")
        else:
            d = result.data
            self.stdout.write(
                f"Demo data: {d.companies:,} companies, {d.contacts:,} contacts, "
                f"{d.stage_changes:,} stage changes, {d.events:,} events in {d.seconds:.1f} s"
            )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {settings.DEMO_PASSWORD!r}):")
        self.stdout.write(f"  {'username':<10} role")
        for username, role in demo_logins():
            self.stdout.write(f"  {username:<10} {role}")

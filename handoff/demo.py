"""The demo handoff for `make run` (leads.hooks.demo_seed, after scoring's demo model): two sales
teams with their office calendars and a routing rule, and MQLs for the demo contacts already at
the MQL stage.

Idempotent (skipped once the teams exist). Everything goes through the services, so the new MQLs
are routed to the reps.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from handoff.models import MemberRole, RoutingRule, Team, TeamMember, WorkCalendar
from handoff.services import mqls_open
from leads.models import Contact, LifecycleStage

EUROPE = ["DE", "GB", "FR", "NL", "SE", "ES", "IT", "CH", "AT", "PL", "DK"]


def demo_pipeline_seed() -> bool:
    """Create the demo teams and routing once and hand the demo MQLs to them; False when the
    teams are already there."""
    if Team.objects.filter(name="EMEA").exists():
        return False
    users = {u.username: u for u in get_user_model().objects.all()}
    with transaction.atomic():
        berlin = WorkCalendar.objects.create(
            name="Berlin office", time_zone="Europe/Berlin", country="DE", subdivision="BE"
        )
        new_york = WorkCalendar.objects.create(
            name="New York office", time_zone="America/New_York", country="US", subdivision="NY"
        )
        emea = Team.objects.create(name="EMEA", calendar=berlin)
        americas = Team.objects.create(name="Americas", calendar=new_york, is_fallback=True)
        for team, reps in ((emea, ("rep1", "rep2", "rep3")), (americas, ("rep4", "rep5"))):
            TeamMember.objects.create(team=team, user=users["manager"], role=MemberRole.MANAGER)
            for weight, username in enumerate(reps, start=1):
                TeamMember.objects.create(team=team, user=users[username], weight=1 + weight % 2)
        RoutingRule.objects.create(
            name="European companies",
            position=1,
            team=emea,
            conditions=[{"field": "company.country", "operator": "in", "value": EUROPE}],
        )
        # Demo contacts generated at the MQL stage are handed to sales like scored ones.
        mqls_open(
            contact_ids=Contact.objects.filter(lifecycle_stage=LifecycleStage.MQL).values_list(
                "pk", flat=True
            )
        )
    return True

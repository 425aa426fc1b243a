"""The demo's history for `make run` (leads.hooks.demo_seed, after scoring's demo model and the
handoff's teams): six months of MQLs of the demo contacts with sales' decisions and reasons,
touches, SLA clocks, deals won and lost, and the spend of the demo's campaigns, with the same
planted truth as generate_data (insights.generate.PLANTED).

Written in bulk by insights.generate, not through the handoff and feedback services: the demo
contacts' stage history already holds each move (leads wrote it), and the services would move
the stage again, stamp it now, route the MQL through the queue and notify the reps; the history
is of the past, so it is written as it would have been. Idempotent: skipped once its deals
exist (or without the demo model or teams).
"""

from django.utils import timezone

from insights.generate import history_generate
from insights.generate.setup import routes_read
from insights.models import Deal
from leads.demo import ACTOR, SEED
from leads.models import StageChange
from scoring.demo import DEMO_MODEL
from scoring.models import ScoringModel

HISTORY_DAYS = 183


def demo_history_seed() -> bool:
    """Write the demo history once; False when it is there already (or cannot be written)."""
    if Deal.objects.filter(source=ACTOR).exists():
        return False
    model = ScoringModel.objects.filter(name=DEMO_MODEL).first()
    version = model.versions.order_by("-number").first() if model else None
    routes = routes_read()
    ids = StageChange.objects.filter(actor_system=ACTOR).values_list("contact_id", flat=True)
    first, last = ids.order_by("contact_id").first(), ids.order_by("-contact_id").first()
    if version is None or not routes or first is None:
        return False
    history_generate(
        contact_id_min=first,
        contact_id_max=last,
        actor=ACTOR,
        seed=SEED,
        now=timezone.now(),
        history_days=HISTORY_DAYS,
        version=version,
        routes=routes,
        open_mqls=False,  # the handoff's demo opened those, through its services
    )
    return True

"""Who sees which MQLs in the metrics: reps their own, managers the MQLs of the teams they
manage (and their own), marketing and admins every MQL — as the queue and the breaches scope
them (handoff.selectors), with marketing added."""

from django.db.models import Q

from core.roles import MARKETING, is_admin, role_names
from handoff.selectors import visibility_q


def sees_all(user) -> bool:
    return is_admin(user) or MARKETING in role_names(user)


def mql_scope(user, prefix: str = "") -> Q | None:
    """None for everything; else a Q over MQLs (or over rows reaching one through `prefix`,
    e.g. "mql__")."""
    if sees_all(user):
        return None
    return visibility_q(user, owner_field=f"{prefix}owner_id", team_field=f"{prefix}team_id")

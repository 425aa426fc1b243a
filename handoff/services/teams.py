"""Teams and their members, and who may change them.

Admins create, change and delete teams and name their managers. A manager edits only the reps
of the teams they manage: adds or removes a rep, sets a rep's weight, cap of open MQLs and
whether the rep is active. Nobody else changes a team. The API's team and team-member views
call these services, so the rule holds in one place.
"""

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from core.exceptions import ConflictError, DomainError
from core.roles import is_admin
from handoff.models import MemberRole, Team, TeamMember
from handoff.selectors import managed_team_ids
from handoff.services.clocks import clocks_retime_for_team

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REP_FIELDS = ("weight", "max_open_mqls", "is_active")  # what a manager may change on a rep


def _require_admin(by: "User", what: str) -> None:
    if not is_admin(by):
        raise PermissionDenied(f"Only an admin can {what}.")


def _save(obj, *, exclude: list[str] | None = None):
    """Validate like a form (bounds, uniqueness) and save; a refusal names its field."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from None
    obj.save()
    return obj


def team_create(*, by: "User", **fields) -> Team:
    _require_admin(by, "create a team")
    return _save(Team(**fields))


@transaction.atomic
def team_update(*, team: Team, by: "User", **fields) -> Team:
    """Admins change a team; another calendar re-times its MQLs' running clocks."""
    _require_admin(by, "change a team")
    calendar_id = team.calendar_id
    for name, value in fields.items():
        setattr(team, name, value)
    team = _save(team)
    if team.calendar_id != calendar_id:
        clocks_retime_for_team(team=team)
    return team


def team_delete(*, team: Team, by: "User") -> None:
    _require_admin(by, "delete a team")
    try:
        with transaction.atomic():
            team.delete()
    except ProtectedError:
        raise ConflictError("This team is in use; change its rules or policies first.") from None


def _require_manages(by: "User", team_id: int) -> None:
    if team_id not in managed_team_ids(by):
        raise PermissionDenied("You can change only the reps of teams you manage.")


def team_member_add(*, by: "User", team: Team, user: "User", **fields) -> TeamMember:
    """Admins add anyone in any role; a manager adds reps to a team they manage."""
    member = TeamMember(team=team, user=user, **fields)
    if not is_admin(by):
        if team.pk not in managed_team_ids(by):
            raise DomainError("Choose a team you manage.", field="team")
        if member.role != MemberRole.REP:
            raise DomainError("Only an admin can name a team's managers.", field="role")
    return _save(member, exclude=["assigned_total"])


def team_member_update(*, member: TeamMember, by: "User", **fields) -> TeamMember:
    """Admins change anything; a manager changes a rep's weight, cap and active flag."""
    if not is_admin(by):
        _require_manages(by, member.team_id)
        if member.role != MemberRole.REP:
            raise PermissionDenied("Only an admin can change a team's managers.")
        for name, value in fields.items():
            if name not in REP_FIELDS and not _unchanged(member, name, value):
                raise DomainError(
                    "A manager changes only a rep's weight, cap and active flag.", field=name
                )
    for name, value in fields.items():
        setattr(member, name, value)
    return _save(member, exclude=["assigned_total"])


def _unchanged(member: TeamMember, name: str, value) -> bool:
    if name in ("team", "user"):
        return getattr(member, f"{name}_id") == getattr(value, "pk", value)
    return getattr(member, name) == value


def team_member_remove(*, member: TeamMember, by: "User") -> None:
    """Admins remove anyone; a manager removes reps of a team they manage."""
    if not is_admin(by):
        _require_manages(by, member.team_id)
        if member.role != MemberRole.REP:
            raise PermissionDenied("Only an admin can remove a team's managers.")
    member.delete()

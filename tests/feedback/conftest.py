from tests.handoff.conftest import reps, team, team_manager  # noqa: F401
from tests.handoff.pages import mqls, people, version  # noqa: F401

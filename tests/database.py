"""What the data migrations write, written again into a kept test database (tests/conftest.py)."""

from importlib import import_module

from django.db.migrations.loader import MigrationLoader

# The data migrations' functions, in migration order: the rows every test may count on (role
# groups and their permissions, the default SLA policy, beat schedules, reject reasons).
MIGRATION_SEEDS = [
    ("core.roles", "sync_roles"),
    ("handoff.migrations.0002_default_sla_policy", "create_default_policy"),
    ("handoff.migrations.0003_sla_scan_schedule", "schedule"),
    ("feedback.migrations.0003_default_reject_reasons", "create_reasons"),
    ("scoring.migrations.0004_rescore_schedule", "create_schedule"),
]
# RunPython operations that change the schema, not the rows.
SCHEMA_ONLY = [
    ("leads.migrations.0004_event_indexes_for_ingest", "event_type_collation"),
    ("handoff.migrations.0012_breach_on_clock", "keep_room_for_in_place_updates"),
]
# Data migrations that only correct rows stored before them: a new test database has none.
ROWS_ADJUSTED = [
    ("handoff.migrations.0007_sla_retime_waive_at_risk_bounds", "cap_policies"),
    ("handoff.migrations.0012_breach_on_clock", "breaches_onto_clocks"),
    ("handoff.migrations.0012_breach_on_clock", "stop_breached_clocks_of_closed_mqls"),
    ("handoff.migrations.0013_assignment_notified", "told_when_assigned"),
]


def migration_seeds_write(connection) -> None:
    """Run each data migration's function as migrate does: given the models as the migrations
    leave them (a historical registry; sync_roles changes the app configs it is given)."""
    state_apps = MigrationLoader(connection).project_state().apps
    for module, function in MIGRATION_SEEDS:
        getattr(import_module(module), function)(state_apps, None)

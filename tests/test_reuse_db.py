"""A kept test database (--reuse-db) gets the data migrations' rows again (tests/conftest.py)."""

from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython

from tests.database import MIGRATION_SEEDS, ROWS_ADJUSTED, SCHEMA_ONLY

OWN_APPS = ("core", "leads", "scoring", "handoff", "feedback")


def test_every_data_migration_is_written_again_into_a_kept_test_database():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = {
        (operation.code.__module__, operation.code.__qualname__.split(".")[0])
        for (app_label, _), migration in loader.disk_migrations.items()
        if app_label in OWN_APPS
        for operation in migration.operations
        if isinstance(operation, RunPython)
    }
    # A new data migration: add its function to tests/database.py's MIGRATION_SEEDS.
    assert found == {*MIGRATION_SEEDS, *SCHEMA_ONLY, *ROWS_ADJUSTED}

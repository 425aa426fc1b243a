from django.db import migrations

from core.roles import sync_roles


class Migration(migrations.Migration):
    """Marketers record and import deals and campaign spend; admins hold every insights
    permission (core.roles)."""

    dependencies = [
        ("insights", "0001_initial"),
        ("leads", "0009_importjob_kind"),
        ("scoring", "0006_score_tables_without_foreign_key_checks"),
        ("handoff", "0009_mql_attribution"),
        ("feedback", "0003_default_reject_reasons"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]

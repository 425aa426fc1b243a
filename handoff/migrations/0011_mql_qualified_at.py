# The funnel metrics (insights) read cohorts of MQLs by the time they opened.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0010_breach_scan_without_per_row_checks"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mql",
            index=models.Index(fields=["qualified_at"], name="mql_qualified_at"),
        ),
    ]

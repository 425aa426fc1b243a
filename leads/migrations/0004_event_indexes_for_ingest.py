import django.db.models.deletion
from django.db import migrations, models


def event_type_collation(collation: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # Rebuilds event_type_window with the new collation.
        schema_editor.execute(
            "ALTER TABLE leads_activityevent "
            f'ALTER COLUMN event_type TYPE varchar(32) COLLATE "{collation}"'
        )

    return alter


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0003_importjob"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activityevent",
            name="contact",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="leads.contact",
            ),
        ),
        migrations.RunPython(event_type_collation("C"), event_type_collation("default")),
    ]

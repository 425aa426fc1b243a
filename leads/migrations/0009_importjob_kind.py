from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_importjob_running_heartbeat_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                default="contacts", help_text="What the rows are: contacts, deals, …", max_length=30
            ),
        ),
    ]

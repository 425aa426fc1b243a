from django.db import migrations, models


class Migration(migrations.Migration):
    """The scoring engine's index: (contact, occurred_at) INCLUDE (event_type) replaces
    (contact, occurred_at DESC). Same number of indexes on the events table (ingest cost), and
    a chunk's event aggregate becomes an index-only scan. Built before the old one is dropped,
    so the foreign key always has an index."""

    dependencies = [
        ("leads", "0005_contact_company_updated_at_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="activityevent",
            index=models.Index(
                fields=["contact", "occurred_at"],
                include=("event_type",),
                name="event_contact_time",
            ),
        ),
        migrations.RemoveIndex(
            model_name="activityevent",
            name="event_contact_newest",
        ),
    ]

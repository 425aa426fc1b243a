from django.db import migrations

from feedback.models import DEFAULT_REJECT_REASONS


def create_reasons(apps, schema_editor):
    RejectReason = apps.get_model("feedback", "RejectReason")
    for position, (code, label) in enumerate(DEFAULT_REJECT_REASONS, start=1):
        RejectReason.objects.get_or_create(
            code=code, defaults={"label": label, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0002_initial")]

    operations = [migrations.RunPython(create_reasons, migrations.RunPython.noop)]

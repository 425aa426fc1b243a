from django.db import migrations


def create_default_policy(apps, schema_editor):
    SlaPolicy = apps.get_model("handoff", "SlaPolicy")
    # Delivery within 24 hours, first touch within 2 business days, decision within 5.
    SlaPolicy.objects.get_or_create(team=None, scoring_model=None, defaults={"name": "Default"})


class Migration(migrations.Migration):
    dependencies = [("handoff", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]

"""A breach is recorded on its clock: the breach scan becomes one in-place update.

The breach's own columns move onto SlaClock (the team and owner it breached on, the
acknowledgement, the waiver), existing breaches are copied there, and Breach becomes a proxy of
the clocks that breached (same ids as their clocks). The running-clocks index no longer names
breached_at, and the table keeps half of each page free, so that marking a clock breached is a
HOT update that touches no index. A breached clock is now stopped as well when its step is done;
those of MQLs closed already are stopped here, at their MQL's decision (or their breach)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

MOVED = [
    ("breached_team_id", "team_id"),
    ("breached_owner_id", "owner_id"),
    ("acknowledged_by_id", "acknowledged_by_id"),
    ("acknowledged_at", "acknowledged_at"),
    ("acknowledgement", "acknowledgement"),
    ("waived_by_id", "waived_by_id"),
    ("waived_at", "waived_at"),
    ("waiver_reason", "waiver_reason"),
]


def breaches_onto_clocks(apps, schema_editor):
    SlaClock = apps.get_model("handoff", "SlaClock")
    OldBreach = apps.get_model("handoff", "Breach")
    breach = OldBreach.objects.filter(clock_id=OuterRef("pk"))
    SlaClock.objects.filter(Exists(breach)).update(
        **{clock_field: Subquery(breach.values(field)[:1]) for clock_field, field in MOVED}
    )


def stop_breached_clocks_of_closed_mqls(apps, schema_editor):
    SlaClock = apps.get_model("handoff", "SlaClock")
    Mql = apps.get_model("handoff", "Mql")
    decided = Mql.objects.filter(pk=OuterRef("mql_id")).values("decided_at")[:1]
    SlaClock.objects.filter(breached_at__isnull=False, stopped_at__isnull=True).exclude(
        mql__status="open"
    ).update(stopped_at=Coalesce(Subquery(decided), "breached_at"))


def keep_room_for_in_place_updates(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE handoff_slaclock SET (fillfactor = 50)")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE handoff_slaclock RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("handoff", "0011_mql_qualified_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="slaclock",
            name="breached_team",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="handoff.team",
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="breached_owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="acknowledged_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="acknowledged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="acknowledgement",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="waived_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="waived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="slaclock",
            name="waiver_reason",
            field=models.TextField(blank=True, db_default="", default=""),
        ),
        migrations.RunPython(breaches_onto_clocks, migrations.RunPython.noop),
        migrations.DeleteModel(name="Breach"),
        migrations.CreateModel(
            name="Breach",
            fields=[],
            options={
                "verbose_name_plural": "breaches",
                "ordering": ["-due_at", "-id"],
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("handoff.slaclock",),
        ),
        migrations.RunPython(stop_breached_clocks_of_closed_mqls, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="slaclock", name="slaclock_open_due"),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(
                condition=models.Q(("stopped_at__isnull", True)),
                fields=["due_at"],
                name="slaclock_running_due",
            ),
        ),
        migrations.AddIndex(
            model_name="slaclock",
            index=models.Index(fields=["-due_at", "-id"], name="slaclock_due"),
        ),
        migrations.RunPython(keep_room_for_in_place_updates, full_pages),
    ]

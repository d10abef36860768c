"""Pace alerts: announced after the check (its own step), rows written without per-row
constraint triggers (ADR 0009)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F


def mark_earlier_alerts_announced(apps, schema_editor):
    # Before this migration an alert's messages were written with the alert itself.
    PaceAlert = apps.get_model("goals", "PaceAlert")
    PaceAlert.objects.filter(announced_at__isnull=True).update(announced_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0002_scheme_pace"),
        ("people", "0005_contract_reminder"),
        ("performance", "0005_lz4_for_wide_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="pacealert",
            name="announced_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="announced at"),
        ),
        migrations.AlterField(
            model_name="pacealert",
            name="employee",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pace_alerts",
                to="people.employee",
            ),
        ),
        migrations.AlterField(
            model_name="pacealert",
            name="goal",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="goals.goal",
            ),
        ),
        migrations.AlterField(
            model_name="pacealert",
            name="indicator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="performance.indicator",
            ),
        ),
        migrations.AlterField(
            model_name="pacestate",
            name="employee",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pace_states",
                to="people.employee",
            ),
        ),
        migrations.AlterField(
            model_name="pacestate",
            name="goal",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pace_states",
                to="goals.goal",
            ),
        ),
        migrations.AlterField(
            model_name="pacestate",
            name="indicator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="performance.indicator",
            ),
        ),
        migrations.AddIndex(
            model_name="pacealert",
            index=models.Index(
                condition=models.Q(("announced_at__isnull", True)),
                fields=["id"],
                name="pace_alert_unannounced",
            ),
        ),
        migrations.RunPython(mark_earlier_alerts_announced, migrations.RunPython.noop),
    ]

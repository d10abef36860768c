"""The facts' natural-key index with the key first (ADR 0004).

Same uniqueness, other column order: a delivery's keys mostly sort after everything stored
(they start with a date or a growing order number), so PostgreSQL appends them at the right
edge of the B-tree instead of inserting into the middle of each metric's range.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('integrations', '0003_fact_date_index_per_database'),
        ('org', '0001_initial'),
        ('people', '0005_contract_reminder'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='fact',
            name='fact_natural_key_once',
        ),
        migrations.AddConstraint(
            model_name='fact',
            constraint=models.UniqueConstraint(condition=models.Q(('natural_key__isnull', False)), fields=('natural_key', 'metric'), name='fact_natural_key_once'),
        ),
    ]

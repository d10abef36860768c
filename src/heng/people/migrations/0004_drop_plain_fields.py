"""Drop the plain-text columns once their values live encrypted (see 0003)."""

from django.db import migrations, models
from django.db.models import Q

import heng.core.fields


class Migration(migrations.Migration):
    dependencies = [("people", "0003_encrypt_existing_rows")]

    operations = [
        migrations.RemoveField(model_name="employee", name="id_card_number_plain"),
        migrations.RemoveField(model_name="employee", name="phone_plain"),
        migrations.RemoveField(model_name="employee", name="bank_account_plain"),
        migrations.RemoveField(model_name="historicalemployee", name="id_card_number_plain"),
        migrations.RemoveField(model_name="historicalemployee", name="phone_plain"),
        migrations.RemoveField(model_name="historicalemployee", name="bank_account_plain"),
        migrations.RemoveField(model_name="contract", name="salary_items"),
        migrations.RemoveField(model_name="historicalcontract", name="salary_items"),
        migrations.RenameField(
            model_name="contract", old_name="salary_items_enc", new_name="salary_items"
        ),
        migrations.RenameField(
            model_name="historicalcontract", old_name="salary_items_enc", new_name="salary_items"
        ),
        migrations.AlterField(
            model_name="contract",
            name="salary_items",
            field=heng.core.fields.EncryptedJSONField(
                blank=True,
                default=list,
                help_text='Items such as [{"item": "base", "amount": 6000}]',
                verbose_name="salary structure",
            ),
        ),
        migrations.AlterField(
            model_name="historicalcontract",
            name="salary_items",
            field=heng.core.fields.EncryptedJSONField(
                blank=True,
                default=list,
                help_text='Items such as [{"item": "base", "amount": 6000}]',
                verbose_name="salary structure",
            ),
        ),
        migrations.AddConstraint(
            model_name="employee",
            constraint=models.UniqueConstraint(
                condition=~Q(id_card_hash=""),
                fields=("id_card_hash",),
                name="employee_id_card_unique",
            ),
        ),
    ]

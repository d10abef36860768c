"""Encrypt the sensitive values already on file (A7), in batches, history rows included."""

import json

from django.db import migrations

from heng.core import crypto

BATCH = 2000


def _batches(queryset):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def encrypt_people(apps, schema_editor):
    for name, pk in (("Employee", "id"), ("HistoricalEmployee", "history_id")):
        model = apps.get_model("people", name)
        fields = ["id_card_number", "id_card_hash", "phone", "bank_account"]
        for rows in _batches(model.objects.all()):
            for row in rows:
                row.id_card_number = row.id_card_number_plain
                row.id_card_hash = crypto.blind_index(row.id_card_number_plain)
                row.phone = row.phone_plain
                row.bank_account = row.bank_account_plain
            model.objects.bulk_update(rows, fields, batch_size=500)
    # The column is renamed to salary_items in 0004; encrypt under that final name (the AAD).
    for name in ("Contract", "HistoricalContract"):
        model = apps.get_model("people", name)
        aad = f"people.{name.lower()}.salary_items"
        with crypto.raw_ciphertext():
            for rows in _batches(model.objects.all()):
                for row in rows:
                    text = json.dumps(row.salary_items or [], ensure_ascii=False, sort_keys=True)
                    row.salary_items_enc = crypto.encrypt(text, aad)
                model.objects.bulk_update(rows, ["salary_items_enc"], batch_size=500)


def decrypt_people(apps, schema_editor):
    for name in ("Employee", "HistoricalEmployee"):
        model = apps.get_model("people", name)
        for rows in _batches(model.objects.all()):
            for row in rows:
                row.id_card_number_plain = row.id_card_number
                row.phone_plain = row.phone
                row.bank_account_plain = row.bank_account
            model.objects.bulk_update(
                rows, ["id_card_number_plain", "phone_plain", "bank_account_plain"]
            )
    for name in ("Contract", "HistoricalContract"):
        model = apps.get_model("people", name)
        aad = f"people.{name.lower()}.salary_items"
        with crypto.raw_ciphertext():
            for rows in _batches(model.objects.all()):
                for row in rows:
                    token = row.salary_items_enc
                    row.salary_items = json.loads(crypto.decrypt(token, aad)) if token else []
                model.objects.bulk_update(rows, ["salary_items"])


class Migration(migrations.Migration):
    dependencies = [("people", "0002_encrypted_fields")]

    operations = [migrations.RunPython(encrypt_people, decrypt_people)]

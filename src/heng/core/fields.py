"""Model fields encrypted at rest (AES-256-GCM, see :mod:`heng.core.crypto`).

Values are plain ``str`` (or JSON) in Python and ``enc1:<key>:<b64>`` in the column. Empty
strings stay empty so "not filled in" needs no decryption. The only supported lookups are
``isnull`` and ``exact=""``: any other comparison against ciphertext would silently match
nothing, so it is refused; exact search goes through a blind-index column instead
(``blind_index_field``), which ``pre_save`` keeps in step with the value.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.models.lookups import Exact

from heng.core import crypto


class _EmptyOnlyExact(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise TypeError(
                f"{self.lhs.target.name} is encrypted: compare through its blind index instead"
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; ``blind_index_field`` names a keyed-hash sibling."""

    description = "Text encrypted with AES-256-GCM"

    def __init__(self, *args: Any, blind_index_field: str | None = None, **kwargs: Any) -> None:
        self.blind_index_field = blind_index_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index_field:
            kwargs["blind_index_field"] = self.blind_index_field
        return name, path, args, kwargs

    @property
    def aad(self) -> str:
        meta = self.model._meta
        return f"{meta.app_label}.{meta.model_name}.{self.name}"

    # --- reading -------------------------------------------------------------------------
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "" or crypto.raw_mode():
            return value
        return self._decode(crypto.decrypt(value, self.aad))

    def _decode(self, text: str) -> Any:
        return text

    def _encode(self, value: Any) -> str:
        return str(value)

    # --- writing -------------------------------------------------------------------------
    def get_prep_value(self, value: Any) -> Any:
        # Bypass TextField's str() so JSON subclasses keep their structure until saving.
        return value

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if value is None or crypto.raw_mode() or hasattr(value, "resolve_expression"):
            # Expressions (bulk_update's CASE) encrypt their inner values themselves.
            return value
        text = self._encode(value)
        if text == "":
            return ""
        return crypto.encrypt(text, self.aad)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)
        if self.blind_index_field and not crypto.raw_mode():
            setattr(
                model_instance,
                self.blind_index_field,
                crypto.blind_index(str(value)) if value else "",
            )
        return value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnlyExact
        return None


class EncryptedJSONField(EncryptedTextField):
    """JSON (e.g. salary structure items) serialised with sorted keys, then encrypted."""

    description = "JSON encrypted with AES-256-GCM"
    # For django-stubs: Python values are JSON structures, not str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def _decode(self, text: str) -> Any:
        return json.loads(text)

    def _encode(self, value: Any) -> str:
        if isinstance(value, str):
            # Forms hand JSON over as text; store its canonical form.
            value = json.loads(value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not crypto.is_ciphertext(value) and value:
            return json.loads(value)
        return value

    def value_to_string(self, obj: models.Model) -> Any:
        return self.value_from_object(obj)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super(models.TextField, self).formfield(**{"form_class": forms.JSONField, **kwargs})

"""A test-only model with encrypted fields, shaped the way Haven's real ones must be."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django_scopes import ScopedManager

from haven.organisations.models import Organisation
from haven.privacy.fields import BlindIndexField, EncryptedTextField


class Secret(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = EncryptedTextField(max_length=200)
    phone = EncryptedTextField(max_length=40, blank=True)
    phone_index = BlindIndexField(source="phone")

    objects: ClassVar[models.Manager[Secret]] = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return f"secret {self.pk}"

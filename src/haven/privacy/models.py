"""Audit trail and encryption keys: the records that protect every other record."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.organisations.models import Organisation


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are never deleted")


# What the trail's pages call each outcome; the API and the chain keep the codes.
OUTCOME_LABELS = {
    "ok": _("Done"),
    "refused": _("Refused"),
    "forbidden": _("Not allowed by their roles"),
    "not_found": _("Not found"),
}


def outcome_label(code: str) -> str:
    """The outcome as the reader's language says it; an unknown code, as recorded."""
    return str(OUTCOME_LABELS.get(code, code))


class AuditEvent(models.Model):
    """One thing that happened, chained by hash to everything before it.

    The chain is over ``seq`` order: ``hash = sha256(prev_hash | the event's fields)``.
    ``details`` never holds protected values; its digest is what the chain covers, so an
    erasure can blank details later without breaking the chain.
    """

    seq = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20, default="ok")
    ip_address = models.GenericIPAddressField(null=True)
    details = models.JSONField(default=dict)
    details_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    # Readers see one organisation's events; the chain verifier says so with `unscoped`.
    objects: ClassVar[models.Manager[AuditEvent]] = ScopedManager(
        organisation="organisation",
        _manager_class=models.Manager.from_queryset(AuditEventQuerySet),
    )
    unscoped: ClassVar[models.Manager[AuditEvent]] = models.Manager.from_queryset(
        AuditEventQuerySet
    )()

    class Meta:
        ordering: ClassVar = ["-seq"]
        indexes: ClassVar = [models.Index(fields=["organisation", "-seq"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events are never changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events are never deleted")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class AuditChainHead(models.Model):
    """The one row that serialises appends and remembers the chain's last link."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_seq}"


class DataKey(models.Model):
    """An organisation's data-encryption key, stored wrapped by the master key."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="data_keys"
    )
    version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "version"], name="one_key_per_version")
        ]
        verbose_name = _("data key")

    def __str__(self) -> str:
        return f"key v{self.version} of organisation {self.organisation_id}"

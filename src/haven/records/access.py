"""Lookups of the records app, always inside one organisation; anything else is 404."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from haven.casework import access as casework_access
from haven.casework.models import ErasureRecord, OrganisationSettings, Person
from haven.privacy.models import AuditEvent

if TYPE_CHECKING:
    from haven.accounts.tenancy import OrganisationRequest
    from haven.organisations.models import Organisation


def person_to_erase(request: OrganisationRequest, person_id: uuid.UUID | str) -> Person:
    """A person of the request's organisation, its read audited, or 404."""
    return casework_access.person_for(request, person_id)


def erasure_records_of(organisation: Organisation) -> QuerySet[ErasureRecord]:
    """The organisation's erasure records, newest first."""
    return (
        ErasureRecord.objects.filter(organisation=organisation)
        .select_related("erased_by")
        .order_by("-erased_at", "-pk")
    )


def retention_settings_of(organisation: Organisation) -> OrganisationSettings:
    """The organisation's retention periods (defaults if never saved)."""
    return casework_access.settings_of(organisation)


def last_retention_event(organisation: Organisation) -> AuditEvent | None:
    """The latest retention run that changed something in the organisation."""
    return (
        AuditEvent.unscoped.filter(organisation=organisation, action="retention.applied")
        .order_by("-seq")
        .first()
    )


def earlier_import_of(organisation: Organisation, checksum: str) -> AuditEvent | None:
    """The latest import into the organisation of a file with this SHA-256, if any."""
    return (
        AuditEvent.unscoped.filter(
            organisation=organisation, action="records.imported", details__checksum=checksum
        )
        .select_related("actor")
        .order_by("-seq")
        .first()
    )

"""Lookups of the records app, always inside one organisation; anything else is 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.db.models.functions import Length

from haven.casework import access as casework_access
from haven.casework.models import Case, ErasureRecord, OrganisationSettings, Person
from haven.helpline.models import HelplineCall
from haven.privacy.models import AuditEvent
from haven.shelter.models import Stay
from haven.timezones import day_in_zone_of

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


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to month ends)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    day = moment.day
    while day > 28:
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class RetentionDue:
    """What a retention run at one moment would act on, as querysets of one organisation."""

    persons: QuerySet[Person]
    calls: QuerySet[HelplineCall]


def due_for_retention(
    organisation: Organisation, *, person_months: int, call_months: int, now: datetime
) -> RetentionDue:
    """Who a retention run at ``now`` under these periods deletes, and which calls it anonymises."""
    persons = Person.objects.none()
    if person_months:
        # Nights in a shelter and an open case do not touch last_activity_at, yet the
        # person is still being supported. A stay ends on a day of the organisation's
        # calendar, not the server's (the run is at 03:00 UTC). A stay whose person was
        # erased names nobody (NOT IN a list holding NULL would keep everyone).
        today = day_in_zone_of(organisation.slug, now)
        staying = Stay.objects.filter(organisation=organisation, person__isnull=False).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )
        open_cases = Case.objects.filter(
            organisation=organisation, status__in=casework_access.OPEN_STATUSES
        )
        persons = (
            Person.objects.filter(
                organisation=organisation, last_activity_at__lt=months_before(now, person_months)
            )
            .exclude(pk__in=staying.values("person_id"))
            .exclude(pk__in=open_cases.values("person_id"))
        )
    calls = HelplineCall.objects.none()
    if call_months:
        # Encrypted notes cannot be compared in SQL, but their stored length can.
        calls = (
            HelplineCall.objects.filter(
                organisation=organisation, started_at__lt=months_before(now, call_months)
            )
            .annotate(notes_length=Length("notes"))
            .filter(Q(person__isnull=False) | Q(notes_length__gt=0))
        )
    return RetentionDue(persons=persons, calls=calls)


def removed_by_periods(
    organisation: Organisation, *, person_months: int, call_months: int, now: datetime
) -> tuple[int, int]:
    """How many persons and calls ``due_for_retention`` finds: (deleted, anonymised)."""
    due = due_for_retention(
        organisation, person_months=person_months, call_months=call_months, now=now
    )
    return due.persons.count(), due.calls.count()


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

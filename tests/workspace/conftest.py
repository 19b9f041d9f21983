"""Casework records for the workspace tests, made directly (the workspace only reads them)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.models import Case, CaseNote, Consent, Household, Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.services.models import ServiceDelivery, ServiceType
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer, make_user

NOTE_CANARY = "canary-note-7f3a"
NAME_CANARY = "Canaryname"


@pytest.fixture(autouse=True)
def _unscoped() -> Iterator[None]:
    # Test setup writes rows of several organisations; the views scope themselves.
    with scopes_disabled():
        yield


@pytest.fixture
def hana(north: Organisation) -> User:
    """A helpline operator of north."""
    return make_user("hana", north, Role.HELPLINE_OPERATOR)


def service_type(code: str = "food_parcel") -> ServiceType:
    return ServiceType.objects.get(organisation=None, code=code)


def make_person(organisation: Organisation, code: str, **fields: Any) -> Person:
    fields.setdefault("last_activity_at", timezone.now())
    return Person.objects.create(organisation=organisation, code=code, **fields)


def give_consent(person: Person, staff: User, on: datetime.date, **fields: Any) -> Consent:
    return Consent.objects.create(
        organisation_id=person.organisation_id,
        person=person,
        purpose=fields.pop("purpose", "casework"),
        given_on=on,
        method="written",
        recorded_by=staff,
        **fields,
    )


def deliver(
    person: Person | None, staff: User, on: datetime.date, **fields: Any
) -> ServiceDelivery:
    organisation_id = (
        person.organisation_id if person is not None else fields.pop("organisation_id")
    )
    return ServiceDelivery.objects.create(
        organisation_id=organisation_id,
        service_type=fields.pop("service_type", None) or service_type(),
        delivered_on=on,
        person=person,
        staff=staff,
        **fields,
    )


def open_case(person: Person, staff: User | None, **fields: Any) -> Case:
    fields.setdefault("opened_on", datetime.date(2026, 1, 2))
    return Case.objects.create(
        organisation_id=person.organisation_id, person=person, assigned_to=staff, **fields
    )


def write_note(
    case: Case, author: User, at: datetime.datetime, text: str = NOTE_CANARY
) -> CaseNote:
    return CaseNote.objects.create(
        organisation_id=case.organisation_id, case=case, text=text, author=author, written_at=at
    )


def log_call(
    organisation: Organisation, operator: User, at: datetime.datetime, **fields: Any
) -> HelplineCall:
    return HelplineCall.objects.create(
        organisation=organisation,
        started_at=at,
        duration_minutes=fields.pop("duration_minutes", 7),
        caller_type="person_concerned",
        outcome="support_given",
        operator=operator,
        **fields,
    )


def facility(organisation: Organisation, name: str, beds: int, family_rooms: int = 0) -> Facility:
    return Facility.objects.create(
        organisation=organisation, name=name, beds=beds, family_rooms=family_rooms
    )


def stay(person: Person, place: Facility, starts_on: datetime.date, **fields: Any) -> Stay:
    return Stay.objects.create(
        organisation_id=person.organisation_id,
        facility=place,
        person=person,
        starts_on=starts_on,
        **fields,
    )


def household(organisation: Organisation, code: str, other_members: int = 0) -> Household:
    return Household.objects.create(
        organisation=organisation, code=code, other_members=other_members
    )


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def api_get(user: User, path: str, query: dict[str, Any] | None = None) -> Any:
    """An API GET as ``user`` with a fresh token (the response, to check status or JSON)."""
    headers: dict[str, Any] = bearer(user)
    return Client().get(path, query or {}, **headers)

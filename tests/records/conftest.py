"""Casework data of north for the records tests: persons with consent, services, a call."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import pyzipper  # type: ignore[import-untyped]
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Case, CaseNote, Consent, Household, Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.services.models import ServiceDelivery, ServiceType
from haven.shelter.models import Facility, Stay

CANARY = "Zebulon-Canary-7781"
PASSPHRASE = "correct horse battery"


@dataclass
class Casework:
    ana: Person
    ben: Person
    household: Household
    food: ServiceType
    deliveries: list[ServiceDelivery]


def make_person(organisation: Organisation, code: str, staff: User, **fields: object) -> Person:
    fields.setdefault("last_activity_at", timezone.now())
    person = Person.objects.create(organisation=organisation, code=code, **fields)
    Consent.objects.create(
        organisation=organisation,
        person=person,
        purpose="casework",
        given_on=date(2025, 1, 1),
        method="written",
        recorded_by=staff,
    )
    return person


@pytest.fixture
def casework(north: Organisation, carol: User) -> Casework:
    with scopes_disabled():
        household = Household.objects.create(organisation=north, code="H-1")
        ana = make_person(
            north,
            "P-0001",
            carol,
            given_name=CANARY,
            phone="+33 6 12 34 56 78",
            gender="Feminine",
            languages=["fr", "ro"],
            in_sex_work=True,
            household=household,
        )
        ben = make_person(north, "P-0002", carol, gender="Masculine")
        food, _created = ServiceType.objects.get_or_create(
            organisation=None,
            code="food_parcel",
            defaults={"name": "Food parcel", "category": "basic_needs", "unit": "parcel"},
        )
        voucher, _created = ServiceType.objects.get_or_create(
            organisation=None,
            code="voucher",
            defaults={
                "name": "Vouchers",
                "category": "financial",
                "unit": "voucher",
                "counts_money": True,
            },
        )
        deliveries = [
            ServiceDelivery.objects.create(
                organisation=north,
                service_type=food,
                delivered_on=date(2026, 1, 10),
                person=ana,
                quantity=2,
                staff=carol,
                city="=HYPERLINK(1)",
            ),
            ServiceDelivery.objects.create(
                organisation=north,
                service_type=voucher,
                delivered_on=date(2026, 2, 10),
                household=household,
                amount=25,
                currency="EUR",
                staff=carol,
            ),
            ServiceDelivery.objects.create(
                organisation=north,
                service_type=food,
                delivered_on=date(2026, 3, 10),
                people_reached=120,
                channel="outreach",
                staff=carol,
            ),
        ]
    return Casework(ana=ana, ben=ben, household=household, food=food, deliveries=deliveries)


def add_history(person: Person, staff: User) -> None:
    """A case with a note, a stay and a linked helpline call, as erasure must remove them."""
    organisation = person.organisation
    case = Case.objects.create(organisation=organisation, person=person, opened_on=date(2025, 2, 1))
    CaseNote.objects.create(
        organisation=organisation, case=case, text="note", author=staff, written_at=timezone.now()
    )
    facility = Facility.objects.create(organisation=organisation, name="House", beds=3)
    Stay.objects.create(
        organisation=organisation, facility=facility, person=person, starts_on=date(2025, 2, 1)
    )
    HelplineCall.objects.create(
        organisation=organisation,
        started_at=timezone.now() - timedelta(days=3),
        duration_minutes=4,
        caller_type="person_concerned",
        outcome="information_given",
        person=person,
        notes="call notes " + CANARY,
        operator=staff,
    )


def open_zip(content: bytes, passphrase: str = PASSPHRASE) -> tuple[str, bytes]:
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        archive.setpassword(passphrase.encode())
        (name,) = archive.namelist()
        return name, archive.read(name)

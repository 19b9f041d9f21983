"""Casework objects for the services tests: people with and without consent, a helpline
operator, and a person of south who must stay out of reach."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.models import Consent, Household, Person
from haven.organisations.models import Organisation
from haven.services.models import ServiceType
from tests.conftest import make_user

LONG_AGO = timezone.now() - timedelta(days=400)


@pytest.fixture(autouse=True)
def _unscoped_by_default(db: None) -> Iterator[None]:
    # Tests read models directly to check what requests did; views set their own scope.
    with scopes_disabled():
        yield


@pytest.fixture
def hana(north: Organisation) -> User:
    """A helpline operator of north."""
    return make_user("hana", north, Role.HELPLINE_OPERATOR)


def make_person(organisation: Organisation, code: str, *, consent: bool = True) -> Person:
    person = Person.objects.create(
        organisation=organisation, code=code, given_name="Canary", last_activity_at=LONG_AGO
    )
    if consent:
        give_consent(person)
    return person


def give_consent(person: Person) -> Consent:
    return Consent.objects.create(
        organisation_id=person.organisation_id,
        person=person,
        purpose="casework",
        given_on=date(2025, 1, 2),
        method="written",
    )


@pytest.fixture
def pia(north: Organisation) -> Person:
    """A person of north who consented to casework."""
    return make_person(north, "P-0001")


@pytest.fixture
def family(north: Organisation) -> Household:
    household = Household.objects.create(organisation=north, code="H-0001", other_members=2)
    for code in ("P-0101", "P-0102"):
        member = make_person(north, code)
        member.household = household
        member.save()
    return household


@pytest.fixture
def stranger(south: Organisation) -> Person:
    """A person of south, out of north's reach."""
    return make_person(south, "P-0001")


def default_type(code: str) -> ServiceType:
    return ServiceType.objects.get(organisation=None, code=code)

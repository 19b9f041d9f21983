"""Shelter fixtures: a helpline operator, a facility of north, and persons with consent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.models import Consent, Person
from haven.organisations.models import Organisation
from haven.shelter.models import Facility
from tests.conftest import make_user


@pytest.fixture
def hana(north: Organisation) -> User:
    """A helpline operator of north: sees persons, never their identity."""
    return make_user("hana", north, Role.HELPLINE_OPERATOR)


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def night(offset: int) -> date:
    """A day counted from today, so tests never depend on the calendar."""
    return timezone.localdate() + timedelta(days=offset)


def make_person(
    organisation: Organisation,
    code: str,
    *,
    consent: bool = True,
    given_name: str = "",
    family_name: str = "",
) -> Person:
    with scopes_disabled():
        person = Person.objects.create(
            organisation=organisation,
            code=code,
            given_name=given_name,
            family_name=family_name,
            last_activity_at=timezone.now() - timedelta(days=30),
        )
        if consent:
            Consent.objects.create(
                organisation=organisation,
                person=person,
                purpose="casework",
                given_on=timezone.localdate() - timedelta(days=60),
                method="written",
            )
    return person


def make_facility(
    organisation: Organisation, name: str = "Harbour house", *, beds: int = 4, family_rooms: int = 1
) -> Facility:
    with scopes_disabled():
        return Facility.objects.create(
            organisation=organisation, name=name, city="Paris", beds=beds, family_rooms=family_rooms
        )


@pytest.fixture
def facility(north: Organisation) -> Facility:
    return make_facility(north)

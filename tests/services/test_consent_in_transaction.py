"""The casework consent behind a service delivery is checked in the transaction that writes
it: checked before, a withdrawal recorded in between would slip past."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from haven.accounts.models import User
from haven.casework import access as casework_access
from haven.casework.models import Household, Person
from haven.organisations.models import Organisation
from haven.services import actions
from tests.services.conftest import default_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def check_depths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How deep in transactions each consent check ran."""
    depths: list[int] = []
    real = casework_access.require_consent

    def spy(*args: object, **kwargs: object) -> None:
        depths.append(len(connection.atomic_blocks))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(casework_access, "require_consent", spy)
    return depths


def test_recording_checks_consent_inside_its_transaction(
    north: Organisation, carol: User, pia: Person, family: Household, check_depths: list[int]
) -> None:
    outside = len(connection.atomic_blocks)
    for receiver in ({"person": pia}, {"household": family}):
        actions.record_delivery(
            actor=carol,
            organisation=north,
            service_type=default_type("food_parcel"),
            delivered_on=date(2025, 3, 1),
            **receiver,
        )
    assert len(check_depths) == 3
    assert min(check_depths) > outside


def test_correcting_checks_consent_inside_its_transaction(
    north: Organisation, carol: User, pia: Person, family: Household, check_depths: list[int]
) -> None:
    delivery = actions.record_delivery(
        actor=carol,
        organisation=north,
        service_type=default_type("food_parcel"),
        delivered_on=date(2025, 3, 1),
        person=pia,
    )
    check_depths.clear()
    outside = len(connection.atomic_blocks)
    actions.update_delivery(
        actor=carol, delivery=delivery, changes={"person": None, "household": family}
    )
    assert len(check_depths) == 2
    assert min(check_depths) > outside

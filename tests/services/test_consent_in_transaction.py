"""The casework consent behind a service delivery is decided on the receivers' locked rows,
in the transaction that writes it: a withdrawal committed while the delivery waits for the
lock (tests.casework.consent_race) is seen."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from haven.accounts.models import User
from haven.casework.models import Household, Person
from haven.organisations.models import Organisation
from haven.services import actions
from haven.services.models import ServiceDelivery
from tests.casework.consent_race import withdraw_on_lock
from tests.services.conftest import default_type

pytestmark = pytest.mark.django_db


def record(carol: User, north: Organisation, **receiver: object) -> ServiceDelivery:
    return actions.record_delivery(
        actor=carol,
        organisation=north,
        service_type=default_type("food_parcel"),
        delivered_on=date(2025, 3, 1),
        **receiver,  # type: ignore[arg-type]
    )


def test_recording_for_a_person_sees_a_withdrawal_made_while_it_waited_for_the_lock(
    north: Organisation, carol: User, pia: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    withdraw_on_lock(monkeypatch, pia)
    with pytest.raises(ValidationError) as refused:
        record(carol, north, person=pia)
    assert "no casework consent" in refused.value.message_dict["person"][0]
    assert not ServiceDelivery.objects.exists()


def test_recording_for_a_household_sees_a_members_withdrawal_made_meanwhile(
    north: Organisation, carol: User, family: Household, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = Person.objects.get(code="P-0102")
    locked = withdraw_on_lock(monkeypatch, second)
    with pytest.raises(ValidationError) as refused:
        record(carol, north, household=family)
    assert "P-0102" in refused.value.message_dict["household"][0]
    assert locked == ["person", "person"]  # each member, one by one
    assert not ServiceDelivery.objects.exists()


def test_correcting_sees_a_withdrawal_made_while_it_waited_for_the_lock(
    north: Organisation,
    carol: User,
    pia: Person,
    family: Household,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivery = record(carol, north, household=family)
    withdraw_on_lock(monkeypatch, pia)
    with pytest.raises(ValidationError) as refused:
        actions.update_delivery(
            actor=carol, delivery=delivery, changes={"person": pia, "household": None}
        )
    assert "no casework consent" in refused.value.message_dict["person"][0]
    delivery.refresh_from_db()
    assert delivery.person_id is None

"""A booking checks the person's casework consent on their locked row, in the transaction
that writes the stay, as a change of stay does: a withdrawal in between cannot slip past."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework import access as casework_access
from haven.organisations.models import Organisation
from haven.shelter import actions
from haven.shelter.models import Facility, Stay
from tests.casework.consent_race import withdraw_on_lock
from tests.shelter.conftest import make_person, night

pytestmark = pytest.mark.django_db


def test_booking_checks_consent_inside_its_transaction(
    north: Organisation, carol: User, facility: Facility, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = make_person(north, "P-0001")
    depths: list[int] = []
    real = casework_access.require_consent

    def spy(*args: object, **kwargs: object) -> None:
        depths.append(len(connection.atomic_blocks))
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(casework_access, "require_consent", spy)
    outside = len(connection.atomic_blocks)
    with scopes_disabled():
        stay = actions.book_stay(
            actor=carol, facility=facility, person=person, starts_on=night(0), ends_on=night(2)
        )
        actions.change_stay(actor=carol, stay=stay, changes={"ends_on": night(4)})
    assert len(depths) == 2
    assert min(depths) > outside


def test_booking_sees_a_withdrawal_made_while_it_waited_for_the_persons_lock(
    north: Organisation, carol: User, facility: Facility, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = make_person(north, "P-0002")
    withdraw_on_lock(monkeypatch, person)
    with scopes_disabled():
        with pytest.raises(ValidationError, match="no casework consent"):
            actions.book_stay(actor=carol, facility=facility, person=person, starts_on=night(0))
        assert not Stay.objects.filter(person=person).exists()

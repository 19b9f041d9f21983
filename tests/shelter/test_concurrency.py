"""Two caseworkers booking the last bed at the same moment: exactly one gets it."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from haven.organisations.models import Organisation
from haven.shelter import actions
from haven.shelter.models import Facility, Stay
from tests.marks import concurrent_writers
from tests.shelter.conftest import make_facility, make_person, night

ATTEMPTS = 5


def race(actor: User, facility: Facility, contenders: list[Person]) -> list[str]:
    """Each contender's booking started at the same moment from its own thread and connection."""
    barrier = threading.Barrier(len(contenders))
    outcomes: list[str] = []

    def book(person: Person) -> None:
        try:
            barrier.wait(timeout=10)
            with scopes_disabled():
                actions.book_stay(
                    actor=actor,
                    facility=facility,
                    person=person,
                    starts_on=night(0),
                    ends_on=night(3),
                )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append("refused: " + " ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(person,)) for person in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@concurrent_writers
@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_the_last_bed_at_once_leave_exactly_one_stay(
    flushable_audit_trail: None, north: Organisation, carol: User
) -> None:
    for attempt in range(ATTEMPTS):
        facility = make_facility(north, f"Last bed {attempt}", beds=2, family_rooms=0)
        first = make_person(north, f"P-{attempt}-0")
        contenders = [make_person(north, f"P-{attempt}-{n}") for n in (1, 2)]
        with scopes_disabled():
            actions.book_stay(actor=carol, facility=facility, person=first, starts_on=night(0))
        outcomes = race(carol, facility, contenders)

        assert sorted(o.split(":")[0] for o in outcomes) == ["booked", "refused"], outcomes
        assert any("over capacity" in o for o in outcomes)
        with scopes_disabled():
            assert Stay.objects.filter(facility=facility).count() == 2

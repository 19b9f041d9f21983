"""Occupancy figures, counted by the database: tonight, night by night, and month by month."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.shelter import access
from haven.shelter.models import Facility, Stay
from tests.shelter.conftest import make_facility, make_person, night


@pytest.fixture(autouse=True)
def _unscoped(db: None) -> Iterator[None]:
    with scopes_disabled():
        yield


def stay(
    facility: Facility,
    code: str,
    starts_on: date,
    ends_on: date | None,
    *,
    accompanying: int = 0,
    family_room: bool = False,
) -> Stay:
    # Written directly: these tests are about counting, whatever the dates.
    return Stay.objects.create(
        organisation=facility.organisation,
        facility=facility,
        person=make_person(facility.organisation, code),
        starts_on=starts_on,
        ends_on=ends_on,
        accompanying=accompanying,
        family_room=family_room,
    )


def test_occupancy_on_a_night_counts_beds_and_family_rooms_of_the_stays_that_night(
    north: Organisation, south: Organisation, facility: Facility
) -> None:
    empty = make_facility(north, "Annex", beds=2, family_rooms=0)
    closed = make_facility(north, "Closed", beds=2)
    Facility.objects.filter(pk=closed.pk).update(active=False)
    stay(facility, "P-1", night(-5), night(1), accompanying=2)
    stay(facility, "P-2", night(0), None)
    stay(facility, "P-3", night(-1), night(3), accompanying=3, family_room=True)
    stay(facility, "P-4", night(-9), night(0))  # left this morning
    stay(facility, "P-5", night(1), night(4))  # arrives tomorrow
    stay(make_facility(south, "Elsewhere"), "S-1", night(-1), None)

    occupancy = access.occupancy_on(north, night(0))

    assert [(f.name, *rest) for f, *rest in occupancy] == [
        ("Annex", 0, 2, 0, 0),
        ("Harbour house", 4, 4, 1, 1),
    ]
    assert empty.pk in {f.pk for f, *_ in occupancy}
    tomorrow = {f.name: (b, r) for f, b, _beds, r, _rooms in access.occupancy_on(north, night(1))}
    assert tomorrow["Harbour house"] == (2, 1)


def test_the_nightly_grid_follows_arrivals_and_departures_in_one_query(
    north: Organisation, facility: Facility
) -> None:
    stay(facility, "P-1", night(-2), night(2), accompanying=1)
    stay(facility, "P-2", night(1), None)
    stay(facility, "P-3", night(3), night(4), family_room=True)
    with CaptureQueriesContext(connection) as queries:
        grid = access.nightly_occupancy(north, night(0), 5, [facility])
    assert len(queries) == 1
    assert [(n.beds_used, n.family_rooms_used) for n in grid[facility.pk]] == [
        (2, 0),
        (3, 0),
        (1, 0),
        (1, 1),
        (1, 0),
    ]
    assert [n.night for n in grid[facility.pk]] == [night(i) for i in range(5)]


def test_nights_by_month_counts_nights_households_and_people(
    north: Organisation, facility: Facility
) -> None:
    stay(facility, "P-1", date(2025, 1, 30), date(2025, 2, 3), accompanying=2)  # 2 + 2 nights
    stay(facility, "P-2", date(2025, 2, 27), None)  # open: every night from the 27th
    stay(facility, "P-3", date(2024, 12, 1), date(2024, 12, 5))  # before the period
    stay(facility, "P-4", date(2025, 2, 10), date(2025, 2, 11), family_room=True, accompanying=3)

    months = access.nights_by_month(north, date(2025, 1, 15), date(2025, 3, 6))

    assert [(m.month, m.nights, m.people_nights, m.households) for m in months] == [
        (date(2025, 1, 1), 2, 6, 1),
        (date(2025, 2, 1), 2 + 2 + 1, 6 + 2 + 4, 3),
        (date(2025, 3, 1), 5, 5, 1),
    ]
    assert access.households_sheltered(north, date(2025, 1, 15), date(2025, 3, 6)) == 3
    assert access.households_sheltered(north, date(2024, 1, 1), date(2025, 3, 6)) == 4


def test_nights_by_month_is_empty_for_an_empty_period(north: Organisation) -> None:
    assert access.nights_by_month(north, date(2025, 3, 1), date(2025, 3, 1)) == []
    months = access.nights_by_month(north, date(2025, 3, 1), date(2025, 4, 1))
    assert [(m.nights, m.households) for m in months] == [(0, 0)]


def test_stays_for_a_person_are_theirs_only(
    carol: User, north: Organisation, south: Organisation, facility: Facility
) -> None:
    mine = stay(facility, "P-1", night(-30), night(-20))
    stay(facility, "P-2", night(-30), night(-20))
    later = Stay.objects.create(
        organisation=north,
        facility=facility,
        person=mine.person,
        starts_on=night(0),
        ends_on=None,
    )
    assert mine.person is not None
    assert list(access.stays_for_person(north, mine.person)) == [later, mine]
    with pytest.raises(Http404):
        access.stays_for_person(south, mine.person)


def test_grid_range_is_bounded(north: Organisation) -> None:
    with pytest.raises(ValueError, match="between 1 and 92 nights"):
        access.nightly_occupancy(north, night(0), access.MAX_RANGE_NIGHTS + 1)

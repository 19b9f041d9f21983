"""Erasing a person keeps the nights they spent: the shelter's past occupancy and the
network's reports for past months do not change, and nothing of the person remains."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Consent, ErasureRecord, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.records.actions import erase_person
from haven.reporting.compute import compute_figures
from haven.shelter import access
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer, client_for
from tests.shelter.conftest import make_facility, make_person, night

pytestmark = pytest.mark.django_db

CANARY = "Ottoline-Canary-5521"


@dataclass
class History:
    ana: Person
    ben: Person
    month: date  # the first day of a month wholly past
    following: date  # the first day of the month after it
    past: Stay
    current: Stay
    booked: Stay


def _stay(facility: Facility, person: Person, starts_on: date, ends_on: date | None, **kw: Any):
    return Stay.objects.create(
        organisation=facility.organisation,
        facility=facility,
        person=person,
        starts_on=starts_on,
        ends_on=ends_on,
        **kw,
    )


@pytest.fixture
def history(north: Organisation, facility: Facility) -> History:
    annex = make_facility(north, "Annex", beds=2, family_rooms=2)
    ana = make_person(north, "P-ANA", given_name=CANARY)
    ben = make_person(north, "P-BEN")
    month = access.months_back(night(0), 3)
    following = access.months_back(night(0), 2)
    with scopes_disabled():
        for person in (ana, ben):
            Consent.objects.create(
                organisation=north,
                person=person,
                purpose="statistics",
                given_on=month - timedelta(days=90),
                method="written",
            )
        # Ana with two children, then alone in a family room; Ben across the month's end.
        past = _stay(
            facility, ana, month + timedelta(days=2), month + timedelta(days=9), accompanying=2
        )
        _stay(annex, ana, month + timedelta(days=12), month + timedelta(days=15), family_room=True)
        _stay(facility, ben, month + timedelta(days=5), following + timedelta(days=3))
        current = _stay(facility, ana, night(-3), None, accompanying=1)
        booked = _stay(annex, ana, night(10), night(12))
    return History(ana, ben, month, following, past, current, booked)


def _occupancy(north: Organisation, history: History) -> tuple[Any, ...]:
    with scopes_disabled():
        start, end = history.month, history.following
        facilities = list(access.facilities_of(north))
        grid = access.nightly_occupancy(north, start, (end - start).days, facilities)
        report = compute_figures(north, start, end - timedelta(days=1))
        return (
            access.nights_by_month(north, start, end),
            {facility.pk: grid[facility.pk] for facility in facilities},
            access.households_sheltered(north, start, end),
            {cell: value for cell, value in report.figures.items() if cell[0] == "shelter.nights"},
            report.figures["shelter.households", "households"],
            report.left_out["stays"],
        )


def test_the_occupancy_and_the_report_of_a_past_month_are_the_same_after_an_erasure(
    north: Organisation, dana: User, history: History
) -> None:
    before = _occupancy(north, history)
    assert before[0][0].people_nights > 0
    assert before[4] == 2
    with scopes_disabled():
        erase_person(actor=dana, person=history.ana, confirm_code="P-ANA")
    assert _occupancy(north, history) == before


def test_the_erased_persons_stays_keep_their_nights_and_nothing_of_them(
    north: Organisation, dana: User, history: History
) -> None:
    ana_id = history.ana.pk
    with scopes_disabled():
        record = erase_person(actor=dana, person=history.ana, confirm_code="P-ANA")
        assert not Person.objects.filter(pk=ana_id).exists()
        assert not Stay.objects.filter(person_id=ana_id).exists()
        past = Stay.objects.get(pk=history.past.pk)
        current = Stay.objects.get(pk=history.current.pk)
        # A booking not begun is no history: it went, as a cancelled one does.
        assert not Stay.objects.filter(pk=history.booked.pk).exists()
    assert past.person_id is None
    assert (past.starts_on, past.ends_on, past.accompanying) == (
        history.past.starts_on,
        history.past.ends_on,
        2,
    )
    # The stay still going ends today: nobody is known to sleep there from tonight.
    assert (current.person_id, current.ends_on, current.accompanying) == (None, night(0), 1)
    assert record.records_removed["stays_unlinked"] == 3
    assert record.records_removed["stays"] == 1
    # Her stays still count as one household, and name nobody.
    with scopes_disabled():
        guests = {stay.anonymous_guest for stay in Stay.objects.filter(person__isnull=True)}
    assert len(guests) == 1
    assert None not in guests
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shelter_stay")
        assert CANARY not in json.dumps(cursor.fetchall(), default=str)


@pytest.fixture
def erased(north: Organisation, dana: User, history: History) -> History:
    with scopes_disabled():
        erase_person(actor=dana, person=history.ana, confirm_code="P-ANA")
    return history


def test_the_shelter_pages_show_an_erased_persons_stay_without_crashing(
    carol: User, erased: History
) -> None:
    client = client_for(carol)
    for name in ("shelter_board", "shelter_stays", "shelter_occupancy"):
        page = client.get(reverse(name, kwargs={"org": "north"}))
        assert page.status_code == 200, name
    # Her stay that ended this morning is among today's departures.
    assert (
        "erased" in client.get(reverse("shelter_board", kwargs={"org": "north"})).content.decode()
    )
    listing = client.get(reverse("shelter_stays", kwargs={"org": "north"})).content.decode()
    assert listing.count(">erased</span>") == 3
    assert "P-BEN" in listing
    kwargs = {"org": "north", "stay_id": erased.past.pk}
    seen_before = AuditEvent.unscoped.filter(action="person.viewed").count()
    detail = client.get(reverse("shelter_stay", kwargs=kwargs))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "Stay of an erased person in Harbour house" in text
    assert "was erased" in text
    assert "/people/" not in text.split("<main", 1)[1]
    # Nobody is named, so nobody's record was read.
    assert AuditEvent.unscoped.filter(action="person.viewed").count() == seen_before
    cancel = client.get(reverse("shelter_stay_cancel", kwargs=kwargs))
    assert cancel.status_code == 200
    assert "was erased" in cancel.content.decode()


def test_an_erased_persons_stay_cannot_be_changed_ended_or_cancelled(
    carol: User, erased: History
) -> None:
    client = client_for(carol)
    kwargs = {"org": "north", "stay_id": erased.past.pk}
    changed = client.post(
        reverse("shelter_stay_change", kwargs=kwargs),
        {
            "starts_on": erased.past.starts_on.isoformat(),
            "ends_on": (erased.past.starts_on + timedelta(days=20)).isoformat(),
            "accompanying": 0,
        },
    )
    assert changed.status_code == 400
    assert "was erased" in changed.content.decode()
    ended = client.post(
        reverse("shelter_stay_end", kwargs=kwargs),
        {"ends_on": (erased.past.starts_on + timedelta(days=1)).isoformat()},
    )
    assert ended.status_code == 400
    assert client.post(reverse("shelter_stay_cancel", kwargs=kwargs)).status_code == 400
    with scopes_disabled():
        stay = Stay.objects.get(pk=erased.past.pk)
    assert (stay.ends_on, stay.accompanying) == (erased.past.ends_on, 2)


def _api(user: User, method: str, path: str, body: Any = None) -> Any:
    extra: dict[str, Any] = dict(bearer(user))
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    return getattr(Client(), method)("/api/orgs/north/shelter" + path, **extra)


def test_the_api_shows_an_erased_persons_stay_and_refuses_to_change_it(
    carol: User, erased: History
) -> None:
    listed = _api(carol, "get", "/stays?status=past")
    assert listed.status_code == 200
    # The two of last months and the one that ended this morning.
    anonymous = [item for item in listed.json()["items"] if item["person_id"] is None]
    assert len(anonymous) == 3
    assert all(item["person_code"] is None for item in anonymous)
    one = _api(carol, "get", f"/stays/{erased.past.pk}")
    assert one.status_code == 200
    assert one.json()["person_code"] is None
    assert one.json()["beds_used"] == 3
    patched = _api(carol, "patch", f"/stays/{erased.past.pk}", {"accompanying": 0})
    assert patched.status_code == 400
    assert "was erased" in json.dumps(patched.json())
    ended = _api(
        carol,
        "patch",
        f"/stays/{erased.past.pk}",
        {"ends_on": str(erased.past.starts_on + timedelta(days=1))},
    )
    assert ended.status_code == 400
    assert _api(carol, "delete", f"/stays/{erased.past.pk}").status_code == 400
    months = _api(carol, "get", f"/occupancy/months?from={erased.month}&to={erased.following}")
    assert months.status_code == 200
    with scopes_disabled():
        assert Stay.objects.get(pk=erased.past.pk).accompanying == 2
        assert ErasureRecord.objects.count() == 1

"""The shelter API: facilities, stays and occupancy, with the same rules as the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer
from tests.shelter.conftest import make_facility, make_person, night

BASE = "/api/orgs/north/shelter"


def call(user: User, method: str, path: str, body: Any = None, **query: Any) -> Any:
    extra: dict[str, Any] = dict(bearer(user))
    if body is not None:
        extra.update(data=json.dumps(body), content_type="application/json")
    elif query:
        extra["data"] = query
    return getattr(Client(), method)(BASE + path, **extra)


def test_an_admin_creates_lists_and_changes_facilities(alice: User, carol: User) -> None:
    created = call(alice, "post", "/facilities", {"name": "Harbour", "beds": 3, "family_rooms": 1})
    assert created.status_code == 201, created.content
    facility_id = created.json()["id"]
    assert created.json() == {
        "id": facility_id,
        "name": "Harbour",
        "city": "",
        "beds": 3,
        "family_rooms": 1,
        "active": True,
    }
    listed = call(carol, "get", "/facilities")
    assert listed.json()["count"] == 1
    patched = call(alice, "patch", f"/facilities/{facility_id}", {"beds": 5, "city": "Lyon"})
    assert patched.status_code == 200
    assert (patched.json()["beds"], patched.json()["city"]) == (5, "Lyon")
    assert call(alice, "patch", f"/facilities/{facility_id}", {"beds": None}).status_code == 400
    assert call(carol, "post", "/facilities", {"name": "X", "beds": 1}).status_code == 403


def test_bad_facility_input_is_refused_and_changes_nothing(alice: User) -> None:
    for body in (
        {"name": "X" * 101, "beds": 1},
        {"name": "Negative", "beds": -1},
        {"name": "Empty", "beds": 0, "family_rooms": 0},
        ["not", "an", "object"],
    ):
        assert call(alice, "post", "/facilities", body).status_code == 400, body
    with scopes_disabled():
        assert not Facility.objects.exists()
    for name in ("", "  "):
        blank = call(alice, "post", "/facilities", {"name": name, "beds": 1})
        assert blank.json()["detail"] == {"name": ["Give the facility a name."]}


@pytest.fixture
def house(north: Organisation) -> Facility:
    return make_facility(north, "Harbour house", beds=2, family_rooms=1)


def test_a_caseworker_books_reads_changes_and_cancels_a_stay(
    carol: User, north: Organisation, house: Facility
) -> None:
    person = make_person(north, "P-API")
    body = {
        "facility_id": house.pk,
        "person_code": "P-API",
        "starts_on": night(0).isoformat(),
        "accompanying": 1,
    }
    created = call(carol, "post", "/stays", body)
    assert created.status_code == 201, created.content
    stay = created.json()
    assert (stay["person_id"], stay["ends_on"], stay["beds_used"]) == (str(person.pk), None, 2)

    got = call(carol, "get", f"/stays/{stay['id']}")
    assert got.json()["person_code"] == "P-API"
    assert AuditEvent.unscoped.filter(action="person.viewed", object_id=str(person.pk)).exists()

    ended = call(carol, "patch", f"/stays/{stay['id']}", {"ends_on": night(3).isoformat()})
    assert ended.status_code == 200
    assert ended.json()["ends_on"] == night(3).isoformat()
    reopened = call(carol, "patch", f"/stays/{stay['id']}", {"ends_on": None})
    assert reopened.status_code == 200
    assert reopened.json()["ends_on"] is None

    listed = call(carol, "get", "/stays", status="current", facility_id=house.pk)
    assert [item["id"] for item in listed.json()["items"]] == [stay["id"]]
    assert call(carol, "get", "/stays", status="past").json()["count"] == 0

    assert call(carol, "delete", f"/stays/{stay['id']}").status_code == 204
    with scopes_disabled():
        assert not Stay.objects.exists()
    assert {"stay.created", "stay.ended", "stay.updated", "stay.cancelled"} <= set(
        AuditEvent.unscoped.values_list("action", flat=True)
    )


def test_a_stay_already_begun_is_not_deleted_but_can_be_ended(
    carol: User, north: Organisation, house: Facility
) -> None:
    person = make_person(north, "P-PAST")
    with scopes_disabled():
        stay = Stay.objects.create(
            organisation=north,
            facility=house,
            person=person,
            starts_on=night(-10),
            ends_on=night(-3),
        )
    refused = call(carol, "delete", f"/stays/{stay.pk}")
    assert refused.status_code == 400
    assert (
        "cannot be cancelled. Record the day of leaving instead"
        in refused.json()["detail"]["__all__"][0]
    )
    with scopes_disabled():
        assert Stay.objects.filter(pk=stay.pk).exists()
    assert not AuditEvent.unscoped.filter(action="stay.cancelled").exists()
    ended = call(carol, "patch", f"/stays/{stay.pk}", {"ends_on": night(-5).isoformat()})
    assert ended.status_code == 200
    assert AuditEvent.unscoped.filter(action="stay.ended", object_id=str(stay.pk)).exists()


def test_an_over_capacity_booking_is_refused_with_the_night_named(
    carol: User, north: Organisation, house: Facility
) -> None:
    make_person(north, "P-1")
    make_person(north, "P-2")
    first = {"facility_id": house.pk, "person_code": "P-1", "starts_on": night(2).isoformat()}
    assert call(carol, "post", "/stays", {**first, "accompanying": 1}).status_code == 201
    refused = call(
        carol,
        "post",
        "/stays",
        {**first, "person_code": "P-2", "starts_on": night(0).isoformat()},
    )
    assert refused.status_code == 400
    assert "Harbour house would be over capacity on the night of" in str(refused.json())
    with scopes_disabled():
        assert Stay.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"ends_on": "today"},
        {"accompanying": -1},
        {"person_code": "P-NOBODY"},
        {"facility_id": 999_999},
        {"starts_on": "2024-13-45"},
    ],
)
def test_bad_stay_input_is_refused_and_changes_nothing(
    carol: User, north: Organisation, house: Facility, change: dict[str, Any]
) -> None:
    make_person(north, "P-1")
    body = {"facility_id": house.pk, "person_code": "P-1", "starts_on": night(0).isoformat()}
    body.update({k: night(0).isoformat() if v == "today" else v for k, v in change.items()})
    assert call(carol, "post", "/stays", body).status_code == 400
    with scopes_disabled():
        assert not Stay.objects.exists()


def test_a_stay_of_another_organisation_is_not_found_and_a_viewer_is_refused(
    carol: User, bob: User, victor: User, north: Organisation, house: Facility
) -> None:
    person = make_person(north, "P-1")
    with scopes_disabled():
        stay = Stay.objects.create(
            organisation=north, facility=house, person=person, starts_on=night(0)
        )
    assert call(bob, "get", f"/stays/{stay.pk}").status_code == 404
    assert call(bob, "delete", f"/stays/{stay.pk}").status_code == 404
    assert call(bob, "get", f"/facilities/{house.pk}").status_code == 404
    headers: dict[str, Any] = bearer(bob)
    south_stay = Client().get(f"/api/orgs/south/shelter/stays/{stay.pk}", **headers)
    assert south_stay.status_code == 404
    assert call(victor, "get", "/stays").status_code == 403
    assert call(victor, "get", "/occupancy").status_code == 403
    with scopes_disabled():
        assert Stay.objects.filter(pk=stay.pk).exists()


def test_occupancy_for_one_night_and_for_a_range(
    carol: User, hana: User, north: Organisation, house: Facility
) -> None:
    with scopes_disabled():
        Stay.objects.create(
            organisation=north,
            facility=house,
            person=make_person(north, "P-1"),
            starts_on=night(1),
            ends_on=night(3),
            accompanying=1,
        )
        Stay.objects.create(
            organisation=north,
            facility=house,
            person=make_person(north, "P-2"),
            starts_on=night(0),
            family_room=True,
        )
    tonight = call(hana, "get", "/occupancy")
    assert tonight.json() == [
        {
            "night": night(0).isoformat(),
            "facility_id": house.pk,
            "facility": "Harbour house",
            "beds_used": 0,
            "beds": 2,
            "family_rooms_used": 1,
            "family_rooms": 1,
        }
    ]
    on = call(hana, "get", "/occupancy", on=night(2).isoformat()).json()
    assert (on[0]["beds_used"], on[0]["family_rooms_used"]) == (2, 1)
    span = call(
        hana, "get", "/occupancy", **{"from": night(0).isoformat(), "to": night(3).isoformat()}
    )
    assert [n["beds_used"] for n in span.json()] == [0, 2, 2, 0]
    for bad in (
        {"from": night(3).isoformat(), "to": night(0).isoformat()},
        {"from": night(0).isoformat()},
        {"from": night(0).isoformat(), "to": night(200).isoformat()},
        {"on": night(0).isoformat(), "from": night(0).isoformat(), "to": night(1).isoformat()},
        {"on": "2024-13-45"},
    ):
        assert call(hana, "get", "/occupancy", **bad).status_code == 400, bad
    months = call(hana, "get", "/occupancy/months")
    assert months.status_code == 200
    assert len(months.json()) == 12
    assert sum(m["nights"] for m in months.json()) == 1


@pytest.mark.parametrize(
    ("path", "query", "field", "says"),
    [
        ("/occupancy", {"on": "9999-12-31"}, "on", "Give a date up to"),
        ("/occupancy", {"on": "0001-01-01"}, "on", "Give a date from 1 January 2000 on."),
        (
            "/occupancy",
            {"from": "9999-12-01", "to": "9999-12-31"},
            "from",
            "Give a date up to",
        ),
        ("/occupancy/months", {"to": "9999-12-31"}, "to", "Give a date up to"),
        ("/occupancy/months", {"to": "0001-01-01"}, "to", "Give a date from 1 January 2000 on."),
        (
            "/occupancy/months",
            {"from": "1999-12-01", "to": "2000-06-30"},
            "from",
            "Give a date from 1 January 2000 on.",
        ),
    ],
)
def test_a_far_off_occupancy_date_is_a_400_that_says_what_to_correct(
    alice: User, house: Facility, path: str, query: dict[str, str], field: str, says: str
) -> None:
    response = call(alice, "get", path, **query)
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert says in response.content.decode()


def test_occupancy_some_years_ahead_and_from_2000_is_still_answered(
    alice: User, house: Facility
) -> None:
    assert call(alice, "get", "/occupancy", on=night(5 * 365).isoformat()).status_code == 200
    months = call(alice, "get", "/occupancy/months", to="2000-12-31")
    assert months.status_code == 200, months.content
    assert len(months.json()) == 12


def test_the_api_finds_a_person_code_typed_in_lower_case(
    carol: User, north: Organisation, house: Facility
) -> None:
    person = make_person(north, "P-API")
    body = {"facility_id": house.pk, "person_code": "p-api", "starts_on": night(0).isoformat()}
    created = call(carol, "post", "/stays", body)
    assert created.status_code == 201, created.content
    assert created.json()["person_id"] == str(person.pk)
    listed = call(carol, "get", "/stays", person_code="p-api")
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]

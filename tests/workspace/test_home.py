"""The caseworker's home: my open cases, follow-ups due, shelters tonight, my recent work."""

from __future__ import annotations

import datetime

from django.utils import timezone

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.workspace.conftest import (
    api_get,
    at,
    deliver,
    facility,
    log_call,
    make_person,
    open_case,
    stay,
)


def test_home_lists_my_open_cases_and_not_a_colleagues_or_closed_ones(
    north: Organisation, carol: User
) -> None:
    colleague = make_user("cyril", north, Role.CASEWORKER)
    mine = make_person(north, "P-MINE")
    theirs = make_person(north, "P-THEIRS")
    closed = make_person(north, "P-CLOSED")
    open_case(mine, carol, follow_up_on=datetime.date(2099, 1, 1))
    open_case(theirs, colleague)
    open_case(closed, carol, status="Closed", closed_on=datetime.date(2026, 2, 1))

    response = client_for(carol).get("/o/north/work/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "P-MINE" in page
    assert "P-THEIRS" not in page
    assert "P-CLOSED" not in page


def test_home_shows_nothing_of_another_organisation(
    north: Organisation, south: Organisation, carol: User
) -> None:
    elsewhere = make_person(south, "P-SOUTH")
    open_case(elsewhere, carol, follow_up_on=datetime.date(2020, 1, 1))
    log_call(south, carol, timezone.now(), person=elsewhere, follow_up_on=datetime.date(2020, 1, 1))
    facility(south, "Southern house", beds=9)
    deliver(elsewhere, carol, timezone.localdate())

    page = client_for(carol).get("/o/north/work/").content.decode()

    assert "P-SOUTH" not in page
    assert "Southern house" not in page


def test_follow_ups_due_are_my_or_unassigned_cases_and_open_calls(
    north: Organisation, carol: User
) -> None:
    today = timezone.localdate()
    colleague = make_user("cyril", north, Role.CASEWORKER)
    open_case(make_person(north, "P-DUE"), carol, follow_up_on=today)
    open_case(make_person(north, "P-NOBODY"), None, follow_up_on=today - datetime.timedelta(days=3))
    open_case(make_person(north, "P-LATER"), carol, follow_up_on=today + datetime.timedelta(days=3))
    open_case(make_person(north, "P-COLLEAGUE"), colleague, follow_up_on=today)
    log_call(
        north, colleague, timezone.now(), person=make_person(north, "P-CALL"), follow_up_on=today
    )
    log_call(
        north,
        colleague,
        timezone.now(),
        person=make_person(north, "P-DONE"),
        follow_up_on=today,
        follow_up_done=True,
    )

    data = api_get(carol, "/api/orgs/north/work").json()

    assert [case["person_code"] for case in data["cases_due"]] == ["P-NOBODY", "P-DUE"]
    assert [call["person_code"] for call in data["calls_due"]] == ["P-CALL"]
    page = client_for(carol).get("/o/north/work/").content.decode()
    assert "P-NOBODY" in page
    assert "P-CALL" in page
    assert "P-DONE" not in page
    assert "P-COLLEAGUE" not in page  # (P-LATER is listed, under my open cases)


def test_occupancy_counts_tonights_beds_and_family_rooms_per_shelter(
    north: Organisation, carol: User
) -> None:
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    house = facility(north, "Harbour house", beds=10, family_rooms=2)
    facility(north, "Empty flat", beds=3)
    people = [make_person(north, f"P-{index}") for index in range(5)]
    stay(people[0], house, today - 5 * day, accompanying=2)  # 3 beds
    stay(people[1], house, today, ends_on=today + day)  # 1 bed
    stay(people[2], house, today - 3 * day, family_room=True, accompanying=3)  # 1 room
    stay(people[3], house, today - 9 * day, ends_on=today)  # left this morning
    stay(people[4], house, today + day)  # arrives tomorrow

    data = api_get(carol, "/api/orgs/north/work").json()

    assert [
        (row["name"], row["beds_used"], row["beds"], row["family_rooms_used"], row["family_rooms"])
        for row in data["occupancy"]
    ] == [("Empty flat", 0, 3, 0, 0), ("Harbour house", 4, 10, 1, 2)]


def test_occupancy_is_one_query_however_many_stays(
    north: Organisation, carol: User, django_assert_max_num_queries: object
) -> None:
    from haven.workspace.access import occupancy_on

    today = timezone.localdate()
    for index in range(3):
        house = facility(north, f"House {index}", beds=50)
        for number in range(20):
            stay(make_person(north, f"P-{index}-{number}"), house, today)
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        rows = occupancy_on(north, today)
    assert [row.beds_used for row in rows] == [20, 20, 20]


def test_recent_activity_is_what_i_recorded(north: Organisation, carol: User) -> None:
    person = make_person(north, "P-RECENT")
    deliver(person, carol, timezone.localdate())
    log_call(north, carol, at(timezone.localdate(), 9))

    data = api_get(carol, "/api/orgs/north/work").json()

    assert sorted(item["kind"] for item in data["recent"]) == ["call", "service"]
    assert "P-RECENT" in client_for(carol).get("/o/north/work/").content.decode()


def test_home_records_one_listing_event_with_a_count_and_no_codes(
    north: Organisation, carol: User
) -> None:
    open_case(make_person(north, "P-AUDIT"), carol)
    client = client_for(carol)
    before = AuditEvent.objects.count()

    client.get("/o/north/work/")

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(event.action, event.details) for event in events] == [
        ("person.listed", {"count": 1, "view": "work_home"})
    ]


def test_the_dashboard_links_to_the_home_for_casework_roles_only(
    north: Organisation, carol: User, victor: User
) -> None:
    assert "/o/north/work/" in client_for(carol).get("/o/north/").content.decode()
    assert "/o/north/work/" not in client_for(victor).get("/o/north/").content.decode()


def test_a_helpline_operator_sees_the_home(north: Organisation, hana: User) -> None:
    assert client_for(hana).get("/o/north/work/").status_code == 200


def test_a_viewer_is_refused_and_an_outsider_finds_nothing(
    north: Organisation, victor: User, bob: User
) -> None:
    assert client_for(victor).get("/o/north/work/").status_code == 403
    assert client_for(bob).get("/o/north/work/").status_code == 404
    assert api_get(victor, "/api/orgs/north/work").status_code == 403
    assert api_get(bob, "/api/orgs/north/work").status_code == 404


def test_quick_actions_link_only_to_pages_the_role_may_open(
    north: Organisation, carol: User, hana: User
) -> None:
    caseworker = client_for(carol).get("/o/north/work/").content.decode()
    operator = client_for(hana).get("/o/north/work/").content.decode()

    assert 'href="/o/north/services/record/"' in caseworker
    assert 'href="/o/north/people/new/"' in caseworker
    assert 'href="/o/north/helpline/"' in operator
    assert 'href="/o/north/people/new/"' not in operator

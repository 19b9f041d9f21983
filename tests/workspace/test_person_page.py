"""The person page: a merged, paginated timeline, one audit event per read, notes kept."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from haven.accounts.models import User
from haven.casework.models import Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import client_for
from tests.workspace.conftest import (
    NAME_CANARY,
    NOTE_CANARY,
    api_get,
    at,
    deliver,
    facility,
    give_consent,
    household,
    log_call,
    make_person,
    open_case,
    service_type,
    stay,
    write_note,
)

DAY = datetime.timedelta(days=1)
START = datetime.date(2025, 3, 1)


def page_of(person: Person) -> str:
    return f"/o/{person.organisation.slug}/people/{person.pk}/"


def timeline_api(person: Person) -> str:
    return f"/api/orgs/{person.organisation.slug}/people/{person.pk}/timeline"


@pytest.fixture
def person(north: Organisation) -> Person:
    return make_person(
        north, "P-0001", given_name=NAME_CANARY, household=household(north, "H-1", 2)
    )


def test_timeline_merges_every_source_newest_first(
    north: Organisation, carol: User, person: Person
) -> None:
    give_consent(person, carol, START, withdrawn_on=None)
    referral = give_consent(person, carol, START + DAY, purpose="statistics")
    referral.withdrawn_on = START + 6 * DAY
    referral.save()
    deliver(person, carol, START + 2 * DAY)
    deliver(None, carol, START + 3 * DAY, organisation_id=north.pk, household=person.household)
    case = open_case(person, carol, opened_on=START)
    write_note(case, carol, at(START + 4 * DAY, 10))
    log_call(north, carol, at(START + 4 * DAY, 15), person=person)
    stay(person, facility(north, "House", beds=4), START + 5 * DAY)
    other = make_person(north, "P-OTHER")
    deliver(other, carol, START + 3 * DAY)

    data = api_get(carol, timeline_api(person)).json()

    assert [(item["kind"], item["day"]) for item in data["items"]] == [
        ("consent_withdrawn", "2025-03-07"),
        ("stay", "2025-03-06"),
        ("call", "2025-03-05"),
        ("note", "2025-03-05"),
        ("service", "2025-03-04"),
        ("service", "2025-03-03"),
        ("consent_given", "2025-03-02"),
        ("consent_given", "2025-03-01"),
    ]
    assert data["items"][4]["data"]["to_household"] is True
    assert data["next_before"] is None


def _history(north: Organisation, carol: User, person: Person, days: int) -> None:
    give_consent(person, carol, START)
    case = open_case(person, carol, opened_on=START)
    for offset in range(days):
        day = START + offset * DAY
        deliver(person, carol, day, service_type=service_type("cooked_meals"))
        if offset % 2:
            deliver(person, carol, day, service_type=service_type("hygiene_pack"))
        if offset % 3 == 0:
            write_note(case, carol, at(day, 11), text=f"note {offset}")
        if offset % 5 == 0:
            log_call(north, carol, at(day, 18), person=person)


def _walk_api(user: User, person: Person, limit: int) -> list[Any]:
    items: list[Any] = []
    before = ""
    while True:
        query = {"limit": limit, **({"before": before} if before else {})}
        data = api_get(user, timeline_api(person), query).json()
        items.extend(data["items"])
        if not data["next_before"]:
            return items
        before = data["next_before"]


def test_timeline_pages_cover_everything_once_in_order(
    north: Organisation, carol: User, person: Person
) -> None:
    _history(north, carol, person, days=40)
    everything = api_get(carol, timeline_api(person), {"limit": 100}).json()["items"]

    paged = _walk_api(carol, person, limit=7)

    expected_count = 1 + 40 + 20 + 14 + 8
    assert len(paged) == expected_count
    assert len({(item["kind"], item["id"]) for item in paged}) == expected_count
    keys = [(item["day"], item["at"] is not None, item["at"] or "") for item in paged]
    assert keys == sorted(keys, reverse=True)
    assert paged[:100] == everything


def test_the_page_shows_fifty_items_and_an_older_link_that_continues(
    north: Organisation, carol: User, person: Person
) -> None:
    _history(north, carol, person, days=40)
    client = client_for(carol)

    first = client.get(page_of(person)).content.decode()
    older = re.search(r'href="\?before=([^"]+)"', first)
    assert older is not None
    assert first.count('class="timeline-item') == 50
    second = client.get(page_of(person) + "?before=" + older.group(1)).content.decode()
    assert second.count('class="timeline-item') == 83 - 50
    assert 'rel="next"' not in second


def test_a_damaged_cursor_is_refused_and_nothing_is_read(carol: User, person: Person) -> None:
    client = client_for(carol)
    before = AuditEvent.objects.count()
    for cursor in ("garbage", "2025-01-01~~nope~x", "2025-13-01~~service~" + "a" * 32, "x" * 500):
        assert client.get(page_of(person), {"before": cursor}).status_code == 400
        assert api_get(carol, timeline_api(person), {"before": cursor}).status_code == 400
    assert not AuditEvent.objects.filter(action="person.viewed").exists()
    assert AuditEvent.objects.count() >= before


def test_each_read_of_the_page_writes_exactly_one_person_viewed_event(
    north: Organisation, carol: User, person: Person
) -> None:
    _history(north, carol, person, days=3)
    client = client_for(carol)
    before = AuditEvent.objects.count()

    assert client.get(page_of(person)).status_code == 200

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [(event.action, event.object_id, event.details) for event in events] == [
        ("person.viewed", str(person.pk), {})
    ]
    client.get(page_of(person))
    api_get(carol, timeline_api(person))
    assert AuditEvent.objects.filter(action="person.viewed", object_id=str(person.pk)).count() == 3


def test_caseworkers_read_notes_but_a_helpline_operator_only_learns_one_exists(
    north: Organisation, carol: User, hana: User, dana: User, person: Person
) -> None:
    give_consent(person, carol, START)
    write_note(open_case(person, carol), carol, at(START, 9))

    for reader in (carol, dana):
        assert NOTE_CANARY in client_for(reader).get(page_of(person)).content.decode()
    page = client_for(hana).get(page_of(person)).content.decode()
    assert "Case note" in page
    assert NOTE_CANARY not in page
    assert NAME_CANARY not in page
    data = api_get(hana, timeline_api(person)).json()
    assert [item["data"]["text"] for item in data["items"] if item["kind"] == "note"] == [None]
    assert NAME_CANARY not in str(data)


def test_a_timeline_item_links_to_its_page_only_for_readers_who_may_open_it(
    north: Organisation, carol: User, hana: User, dana: User, person: Person
) -> None:
    give_consent(person, carol, START)
    call = log_call(north, hana, at(START, 10), person=person)
    call_page = f"/o/north/helpline/calls/{call.pk}/"
    for reader, opens in ((carol, True), (hana, True), (dana, False)):
        page = client_for(reader).get(page_of(person)).content.decode()
        assert "Helpline: Phone" in page
        assert (call_page in page) is opens, reader.username
        assert (client_for(reader).get(call_page).status_code == 200) is opens


def test_the_record_a_service_link_is_shown_only_to_readers_who_may_record_one(
    alice: User, carol: User, dana: User, person: Person
) -> None:
    # An admin or DPO reads the person page but may not record a service: the link
    # would answer 403.
    record = "/o/north/services/record/"
    for reader, may_record in ((carol, True), (alice, False), (dana, False)):
        client = client_for(reader)
        page = client.get(page_of(person))
        assert page.status_code == 200, reader.username
        assert (record in page.content.decode()) is may_record, reader.username
        assert (client.get(record).status_code == 200) is may_record, reader.username


def test_a_service_shows_its_unit_in_the_language_of_the_page(carol: User, person: Person) -> None:
    deliver(person, carol, START, service_type=service_type("cooked_meals"), quantity=6)

    page = client_for(carol).get(page_of(person), HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert re.search(r"· 6 comidas\s", page)
    assert " meal" not in page
    # In English too the unit agrees with the number.
    english = client_for(carol).get(page_of(person)).content.decode()
    assert re.search(r"· 6 meals\s", english)


def test_the_page_never_shows_identifying_fields(carol: User, person: Person) -> None:
    assert NAME_CANARY not in client_for(carol).get(page_of(person)).content.decode()


def test_header_shows_household_consent_and_open_case(
    north: Organisation, carol: User, person: Person
) -> None:
    make_person(north, "P-SIBLING", household=person.household)
    give_consent(person, carol, START)
    open_case(person, carol, risk_level="high")

    page = client_for(carol).get(page_of(person)).content.decode()

    assert "H-1" in page
    assert "4 people" in page
    assert "Casework (recording and support)" in page
    assert "High" in page


def test_a_viewer_gets_403_an_outsider_404_and_another_organisations_person_404(
    north: Organisation, south: Organisation, carol: User, victor: User, bob: User, person: Person
) -> None:
    assert client_for(victor).get(page_of(person)).status_code == 403
    assert client_for(bob).get(page_of(person)).status_code == 404
    assert client_for(bob).get(f"/o/south/people/{person.pk}/").status_code == 404
    southern = make_person(south, "P-SOUTH")
    assert client_for(carol).get(f"/o/north/people/{southern.pk}/").status_code == 404
    assert api_get(carol, timeline_api(southern).replace("south", "north")).status_code == 404
    assert api_get(bob, timeline_api(person).replace("north", "south")).status_code == 404
    assert api_get(victor, timeline_api(person)).status_code == 403


def _queries_for_page(client: Client, person: Person, capture_on_commit: Any) -> int:
    # Warm the session and the data-key cache (filled on commit) alike for each person.
    with capture_on_commit(execute=True):
        client.get(page_of(person))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_of(person)).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_however_long_the_history(
    north: Organisation,
    carol: User,
    person: Person,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    newcomer = make_person(north, "P-NEW", household=household(north, "H-NEW"))
    _history(north, carol, newcomer, days=2)
    _history(north, carol, person, days=120)
    stay(person, facility(north, "House", beds=4), START)
    client = client_for(carol)

    short = _queries_for_page(client, newcomer, django_capture_on_commit_callbacks)
    long = _queries_for_page(client, person, django_capture_on_commit_callbacks)

    assert short == long
    with django_assert_max_num_queries(24):
        client.get(page_of(person))

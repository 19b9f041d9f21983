"""A list filtered to one person, and a search by name or phone, leave that person in the
audit trail: "who read this person's history?" must find them, not only page openings."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework import actions
from haven.casework.models import Case
from haven.casework.views import PER_PAGE
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.casework.conftest import intake
from tests.conftest import bearer, client_for
from tests.helpline.conftest import CANARY_NAME, make_call, make_person

pytestmark = pytest.mark.django_db


def last(action: str) -> AuditEvent:
    with scopes_disabled():
        return AuditEvent.objects.filter(action=action).order_by("-seq").first()  # type: ignore[return-value]


def test_lists_filtered_to_one_person_name_that_person(north: Organisation, carol: User) -> None:
    person = make_person(north, "P-0042")
    make_call(north, carol, person=person)
    headers = bearer(carol)
    client = client_for(carol)
    for path, action in [
        (f"/api/orgs/north/cases?person_id={person.pk}", "case.listed"),
        (f"/api/orgs/north/helpline/calls?person_id={person.pk}", "helpline_call.listed"),
    ]:
        assert client.get(path, **headers).status_code == 200, path
        event = last(action)
        assert (event.object_type, event.object_id) == ("casework.person", str(person.pk)), path
    # An unfiltered list names nobody.
    client.get("/api/orgs/north/cases", **headers)
    assert last("case.listed").object_id == ""


def test_a_search_by_name_records_whom_it_found_never_the_words(
    north: Organisation, carol: User
) -> None:
    # Both carry the canary name, so both are found.
    person = make_person(north, "P-0042")
    other = make_person(north, "P-0043")
    client = client_for(carol)
    found = client.get(f"/api/orgs/north/persons?name={CANARY_NAME}", **bearer(carol)).json()
    assert found["count"] == 2
    event = last("person.listed")
    assert event.details["identity_search"] is True
    assert sorted(event.details["matched"]) == sorted([str(person.pk), str(other.pk)])
    assert CANARY_NAME not in str(event.details)
    page = client.get(f"/o/north/people/?name={CANARY_NAME}")
    assert page.status_code == 200
    event = last("person.listed")
    assert str(person.pk) in event.details["matched"]
    assert CANARY_NAME not in str(event.details)
    client.get("/o/north/people/")
    assert "matched" not in last("person.listed").details


def _case_with_notes(carol: User, north: Organisation, count: int) -> Case:
    person = intake(carol, north)
    case = actions.open_case(actor=carol, person=person, assigned_to=carol)
    for number in range(count):
        actions.add_note(actor=carol, case=case, text=f"Canarynote {number}")
    return case


def test_the_notes_api_reads_and_audits_only_the_page_returned(
    north: Organisation, carol: User
) -> None:
    case = _case_with_notes(carol, north, 5)
    page = client_for(carol).get(
        f"/api/orgs/north/cases/{case.pk}/notes?limit=2&offset=1", **bearer(carol)
    )
    assert page.status_code == 200
    body = page.json()
    assert body["count"] == 5
    assert [note["text"] for note in body["items"]] == ["Canarynote 3", "Canarynote 2"]
    assert last("case.notes_viewed").details["count"] == 2


def test_the_case_page_shows_and_audits_one_page_of_notes(north: Organisation, carol: User) -> None:
    case = _case_with_notes(carol, north, PER_PAGE + 1)
    url = reverse("case_detail", kwargs={"org": "north", "case_id": case.pk})
    first = client_for(carol).get(url)
    assert first.status_code == 200
    assert first.content.count(b"Canarynote") == PER_PAGE
    assert last("case.notes_viewed").details["count"] == PER_PAGE
    second = client_for(carol).get(url, {"page": 2})
    assert second.content.count(b"Canarynote") == 1
    assert b"Canarynote 0<" in second.content
    assert last("case.notes_viewed").details["count"] == 1

"""The helpline API: the same calls, permissions and refusals as the console."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from tests.conftest import token_for
from tests.helpline.conftest import audit_events, make_call

pytestmark = pytest.mark.django_db

CALLS = "/api/orgs/north/helpline/calls"


class Api:
    def __init__(self, user: User) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token_for(user)}"}

    def get(self, path: str, query: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, query or {}, headers=self.headers)

    def send(self, method: str, path: str, body: object = None) -> Any:
        return self.client.generic(
            method,
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self.headers,
        )


def count() -> int:
    with scopes_disabled():
        return HelplineCall.objects.count()


def test_a_call_is_logged_with_defaults_and_read_back(north: Organisation, olga: User) -> None:
    api = Api(olga)
    response = api.send("POST", CALLS, {"caller_type": "public", "outcome": "information_given"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "phone"
    assert body["person_id"] is None
    assert body["operator_id"] == olga.pk
    # Logged without a duration: not known, not the instant between two clocks.
    assert body["duration_minutes"] is None
    got = api.get(f"{CALLS}/{body['id']}")
    assert got.status_code == 200
    assert got.json()["caller_type"] == "public"
    assert audit_events("helpline_call.viewed", object_id=body["id"])


def test_a_full_call_linked_by_code_updates_the_person(
    north: Organisation, carol: User, person: Person
) -> None:
    before = person.last_activity_at
    started = (timezone.now() - datetime.timedelta(minutes=30)).isoformat()
    response = Api(carol).send(
        "POST",
        CALLS,
        {
            "caller_type": "person_concerned",
            "outcome": "referred_internal",
            "started_at": started,
            "duration_minutes": 22,
            "channel": "messaging",
            "language": "RO",
            "topics": ["exiting", "housing"],
            "follow_up_on": timezone.localdate().isoformat(),
            "person_code": "P-0042",
            "notes": "wants a shelter place",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person_code"] == "P-0042"
    assert body["person_id"] == str(person.pk)
    assert body["language"] == "ro"
    assert body["topics"] == ["housing", "exiting"]
    assert body["notes"] == "wants a shelter place"
    with scopes_disabled():
        person.refresh_from_db()
    assert person.last_activity_at > before


@pytest.mark.parametrize(
    "body",
    [
        {"caller_type": "alien", "outcome": "information_given"},
        {"caller_type": "public"},
        {"caller_type": "public", "outcome": "information_given", "duration_minutes": 601},
        {"caller_type": "public", "outcome": "information_given", "duration_minutes": -3},
        {"caller_type": "public", "outcome": "information_given", "language": "qq"},
        {"caller_type": "public", "outcome": "information_given", "topics": ["gossip"]},
        {"caller_type": "public", "outcome": "information_given", "notes": "x" * 5001},
        {"caller_type": "public", "outcome": "information_given", "person_code": "P-NOPE"},
        {
            "caller_type": "public",
            "outcome": "information_given",
            "started_at": (timezone.now() + datetime.timedelta(hours=3)).isoformat(),
        },
        [{"caller_type": "public", "outcome": "information_given"}],
    ],
)
def test_bad_input_is_refused_with_400_and_nothing_is_saved(
    north: Organisation, carol: User, body: object
) -> None:
    response = Api(carol).send("POST", CALLS, body)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert count() == 0


def test_a_person_without_consent_cannot_be_linked_by_id(
    north: Organisation, carol: User, person_without_consent: Person
) -> None:
    body = {
        "caller_type": "public",
        "outcome": "information_given",
        "person_id": str(person_without_consent.pk),
    }
    response = Api(carol).send("POST", CALLS, body)
    assert response.status_code == 400
    assert "consent" in json.dumps(response.json())
    assert count() == 0


def test_the_list_is_filtered_and_paginated_without_notes(
    north: Organisation, carol: User, person: Person
) -> None:
    today = timezone.localdate()
    make_call(north, carol, channel="sms", notes="secret")
    make_call(north, carol, topics=["legal"], person=person)
    make_call(north, carol, follow_up_on=today - datetime.timedelta(days=1))
    make_call(north, carol, started_at=timezone.now() - datetime.timedelta(days=9))
    api = Api(carol)
    everything = api.get(CALLS).json()
    assert everything["count"] == 4
    assert "notes" not in everything["items"][0]
    assert api.get(CALLS, {"channel": "sms"}).json()["count"] == 1
    assert api.get(CALLS, {"topic": "legal"}).json()["count"] == 1
    assert api.get(CALLS, {"person_id": str(person.pk)}).json()["count"] == 1
    assert api.get(CALLS, {"follow_up": "due"}).json()["count"] == 1
    since = (today - datetime.timedelta(days=2)).isoformat()
    assert api.get(CALLS, {"date_from": since}).json()["count"] == 3
    page = api.get(CALLS, {"limit": 2, "offset": 2}).json()
    assert page["count"] == 4
    assert len(page["items"]) == 2
    assert api.get(CALLS, {"channel": "fax"}).status_code == 400
    assert api.get(CALLS, {"date_from": "2024-13-45"}).status_code == 400
    assert [event.details for event in audit_events("helpline_call.listed")][:1] == [{"count": 4}]


def test_a_call_is_corrected_linked_and_unlinked(
    north: Organisation, carol: User, person: Person
) -> None:
    call = make_call(north, carol)
    api = Api(carol)
    url = f"{CALLS}/{call.pk}"
    response = api.send("PATCH", url, {"duration_minutes": 40, "person_id": str(person.pk)})
    assert response.status_code == 200, response.content
    assert response.json()["duration_minutes"] == 40
    assert response.json()["person_code"] == "P-0042"
    [event] = audit_events("helpline_call.changed")
    assert event.details == {"fields": ["duration_minutes", "person"]}
    response = api.send("PATCH", url, {"person_id": None, "follow_up_on": None})
    assert response.status_code == 200
    assert response.json()["person_id"] is None
    assert api.send("PATCH", url, {"duration_minutes": 900}).status_code == 400
    assert api.send("PATCH", url, {"outcome": None}).status_code == 400
    with scopes_disabled():
        call.refresh_from_db()
    assert call.duration_minutes == 40


def test_a_follow_up_is_marked_done(north: Organisation, carol: User) -> None:
    call = make_call(north, carol, follow_up_on=timezone.localdate())
    api = Api(carol)
    response = api.send("POST", f"{CALLS}/{call.pk}/follow-up-done")
    assert response.status_code == 200
    assert response.json()["follow_up_done"] is True
    assert audit_events("helpline_call.follow_up_done", object_id=str(call.pk))
    none = make_call(north, carol)
    assert api.send("POST", f"{CALLS}/{none.pk}/follow-up-done").status_code == 400


def test_a_viewer_gets_403_and_an_outsider_404(
    north: Organisation, victor: User, bob: User, carol: User
) -> None:
    call = make_call(north, carol)
    body = {"caller_type": "public", "outcome": "information_given"}
    viewer = Api(victor)
    assert viewer.get(CALLS).status_code == 403
    assert viewer.send("POST", CALLS, body).status_code == 403
    assert viewer.get(f"{CALLS}/{call.pk}").status_code == 403
    outsider = Api(bob)
    assert outsider.get(CALLS).status_code == 404
    assert outsider.send("POST", CALLS, body).status_code == 404
    assert outsider.get(f"/api/orgs/south/helpline/calls/{call.pk}").status_code == 404
    south_patch = outsider.send("PATCH", f"/api/orgs/south/helpline/calls/{call.pk}", {})
    assert south_patch.status_code == 404
    assert count() == 1


@pytest.mark.parametrize(
    ("field", "day", "says"),
    [
        ("date_from", "9999-12-31", "Give a date up to"),
        ("date_to", "9999-12-31", "Give a date up to"),
        ("date_from", "0001-01-01", "Give a date from 1 January 2000 on."),
        ("date_to", "1999-12-31", "Give a date from 1 January 2000 on."),
    ],
)
def test_a_far_off_filter_date_is_a_400_that_says_what_to_correct(
    north: Organisation, carol: User, field: str, day: str, says: str
) -> None:
    make_call(north, carol)
    response = Api(carol).get(CALLS, {field: day})
    assert response.status_code == 400, response.content
    assert field in response.content.decode()
    assert says in response.content.decode()
    assert audit_events("helpline_call.listed") == []


def test_a_filter_date_some_years_ahead_is_still_answered(north: Organisation, carol: User) -> None:
    make_call(north, carol)
    ahead = (timezone.localdate() + datetime.timedelta(days=5 * 365)).isoformat()
    response = Api(carol).get(CALLS, {"date_from": "2000-01-01", "date_to": ahead})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_every_answer_that_shows_the_notes_is_an_audited_read(
    north: Organisation, olga: User
) -> None:
    call = make_call(north, olga, notes="calls back after six", follow_up_on=timezone.localdate())
    api = Api(olga)
    url = f"{CALLS}/{call.pk}"
    unchanged = api.send("PATCH", url, {})
    assert unchanged.status_code == 200
    assert unchanged.json()["notes"] == "calls back after six"
    assert len(audit_events("helpline_call.viewed", object_id=str(call.pk))) == 1
    assert audit_events("helpline_call.changed") == []
    for _time in range(2):
        closed = api.send("POST", f"{url}/follow-up-done")
        assert closed.status_code == 200
        assert closed.json()["notes"] == "calls back after six"
    assert len(audit_events("helpline_call.viewed", object_id=str(call.pk))) == 3
    assert len(audit_events("helpline_call.follow_up_done")) == 1


@pytest.mark.parametrize("by", ["person_id", "person_code"])
def test_a_refused_consent_is_answered_under_the_field_that_named_the_person(
    north: Organisation, carol: User, person_without_consent: Person, by: str
) -> None:
    named = str(person_without_consent.pk) if by == "person_id" else "P-0099"
    body = {"caller_type": "public", "outcome": "information_given", by: named}
    created = Api(carol).send("POST", CALLS, body)
    assert created.status_code == 400
    detail = created.json()["detail"]
    assert list(detail) == [by]
    assert "no casework consent" in detail[by][0]
    call = make_call(north, carol)
    patched = Api(carol).send("PATCH", f"{CALLS}/{call.pk}", {by: named})
    assert patched.status_code == 400
    assert list(patched.json()["detail"]) == [by]
    assert count() == 1


def test_every_problem_of_a_call_is_answered_at_once(north: Organisation, carol: User) -> None:
    ahead = (timezone.now() + datetime.timedelta(hours=3)).isoformat()
    body = {
        "caller_type": "public",
        "outcome": "information_given",
        "person_code": "P-NOPE",
        "language": "qq",
        "started_at": ahead,
    }
    api = Api(carol)
    created = api.send("POST", CALLS, body)
    assert created.status_code == 400
    assert set(created.json()["detail"]) == {"person_code", "language", "started_at"}
    assert count() == 0
    call = make_call(north, carol)
    patch = {"person_id": "00000000-0000-0000-0000-000000000000", "language": "qq", "notes": None}
    patched = api.send("PATCH", f"{CALLS}/{call.pk}", patch)
    assert patched.status_code == 400
    assert set(patched.json()["detail"]) == {"person_id", "language", "notes"}
    assert audit_events("helpline_call.changed") == []


def test_a_call_logged_afterwards_without_a_duration_has_an_unknown_one(
    north: Organisation, olga: User
) -> None:
    api = Api(olga)
    started = (timezone.now() - datetime.timedelta(hours=5)).isoformat()
    body = {"caller_type": "public", "outcome": "information_given", "started_at": started}
    response = api.send("POST", CALLS, body)
    assert response.status_code == 201, response.content
    assert response.json()["duration_minutes"] is None
    with scopes_disabled():
        assert HelplineCall.objects.get().duration_minutes is None
    listed = api.get(CALLS).json()["items"]
    assert [item["duration_minutes"] for item in listed] == [None]


def test_a_correction_can_give_or_clear_the_duration(north: Organisation, olga: User) -> None:
    call = make_call(north, olga, duration_minutes=None)
    url = f"{CALLS}/{call.pk}"
    api = Api(olga)
    response = api.send("PATCH", url, {"duration_minutes": 25})
    assert response.status_code == 200, response.content
    assert response.json()["duration_minutes"] == 25
    response = api.send("PATCH", url, {"duration_minutes": None})
    assert response.status_code == 200, response.content
    assert response.json()["duration_minutes"] is None
    with scopes_disabled():
        call.refresh_from_db()
    assert call.duration_minutes is None

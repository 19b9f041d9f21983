"""The data protection officer's audit trail, in the browser and through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.privacy.models import AuditChainHead, AuditEvent
from haven.privacy.views import PAGE_SIZE
from tests.conftest import bearer, client_for

TRAIL = reverse("audit_trail", kwargs={"org": "north"})
API = "/api/orgs/north/audit"


@pytest.fixture
def trail(north: Organisation, south: Organisation, carol: User, bob: User) -> dict[str, int]:
    """Events of north and of south, and sign-ins of a north and a south staff member."""
    events = {
        "north_read": audit.record(
            "casework.person_viewed",
            actor=carol,
            organisation=north,
            object_type="casework.person",
            object_id=7,
            details={"fields": ["pseudonym", "needs"], "reason": "follow-up"},
        ),
        "north_refused": audit.record(
            "access.refused",
            actor=carol,
            organisation=north,
            outcome="forbidden",
            details={"path": "/o/north/audit/", "permission": "audit.view"},
        ),
        "carol_login": audit.record("auth.login", actor=carol, target=carol),
        "carol_failed": audit.record(
            "auth.login_failed",
            actor=None,
            target=carol,
            outcome="refused",
            details={"known_account": True},
        ),
        "south_read": audit.record(
            "casework.south_only_action",
            actor=bob,
            organisation=south,
            object_type="casework.person",
            object_id=7,
        ),
        "bob_login": audit.record("auth.login", actor=bob, target=bob),
    }
    return {name: event.seq for name, event in events.items()}


def shown(response) -> list[int]:
    return [event.seq for event in response.context["page"]]


def token(user: User) -> str:
    return str(bearer(user)["HTTP_AUTHORIZATION"])


def api(authorization: str, query: dict[str, str | int] | None = None) -> Any:
    return Client().get(API, query or {}, HTTP_AUTHORIZATION=authorization)


def last_seq() -> int:
    return AuditChainHead.objects.get(pk=1).last_seq


# Pages


def test_dpo_sees_their_organisations_events_and_staff_sign_ins_and_none_of_south(dana, trail):
    response = client_for(dana).get(TRAIL)
    assert response.status_code == 200
    seqs = shown(response)
    for name in ("north_read", "north_refused", "carol_login", "carol_failed"):
        assert trail[name] in seqs
    assert trail["south_read"] not in seqs
    assert trail["bob_login"] not in seqs
    assert b"casework.south_only_action" not in response.content
    assert seqs == sorted(seqs, reverse=True)


def test_the_page_shows_who_from_where_and_the_details(dana, carol, north, trail):
    audit.record(
        "casework.person_changed",
        actor=carol,
        organisation=north,
        request=RequestFactory().get("/", REMOTE_ADDR="203.0.113.9"),
    )
    content = client_for(dana).get(TRAIL).content.decode()
    assert "carol" in content
    assert "203.0.113.9" in content
    assert "<dt>reason</dt><dd>follow-up</dd>" in content
    assert "casework.person 7" in content
    assert "<dt>fields</dt><dd>pseudonym, needs</dd>" in content
    # A failed login has no actor; the row names the account it was against.
    assert f'accounts.user {carol.pk} <span class="muted">(carol)</span>' in content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"user": "CAROL"}, {"north_read", "north_refused", "carol_login"}),
        ({"action": "casework."}, {"north_read"}),
        ({"action": "auth."}, {"carol_login", "carol_failed"}),
        ({"object_type": "casework.person", "object_id": "7"}, {"north_read"}),
        ({"outcome": "forbidden"}, {"north_refused"}),
        ({"outcome": "refused"}, {"carol_failed"}),
    ],
)
def test_filters_narrow_the_trail(dana, trail, query, expected):
    response = client_for(dana).get(TRAIL, query)
    assert response.status_code == 200
    assert set(shown(response)) & set(trail.values()) == {trail[name] for name in expected}


def test_the_date_filters_keep_the_days_asked_for(dana, trail):
    occurred = AuditEvent.unscoped.get(seq=trail["north_read"]).occurred_at
    day = timezone.localdate(occurred)
    client = client_for(dana)
    assert trail["north_read"] in shown(client.get(TRAIL, {"since": str(day), "until": str(day)}))
    assert trail["north_read"] not in shown(client.get(TRAIL, {"since": str(day + timedelta(1))}))
    assert trail["north_read"] not in shown(client.get(TRAIL, {"until": str(day - timedelta(1))}))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2025-03-02", "until": "2025-03-01"}, "The start date is after the end date."),
        ({"user": "x" * 1000}, "Ensure this value has at most 150 characters"),
        ({"since": "not-a-date"}, "Enter a valid date."),
        ({"until": "2025-02-30"}, "Enter a valid date."),
        ({"object_id": "9" * 65}, "Ensure this value has at most 64 characters"),
        ({"outcome": "bogus"}, "Select a valid choice."),
    ],
)
def test_bad_filters_get_a_400_page_that_says_why_and_shows_no_events(dana, trail, query, message):
    client = client_for(dana)
    before = last_seq()
    response = client.get(TRAIL, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["page"] is None
    assert b"casework.person_viewed" not in response.content
    assert last_seq() == before


def test_viewing_the_trail_is_itself_audited_with_the_filters_used(dana, north, trail):
    client = client_for(dana)
    before = last_seq()
    client.get(TRAIL, {"user": "carol", "outcome": "forbidden"})
    [event] = AuditEvent.unscoped.filter(seq__gt=before)
    assert (event.action, event.actor_id, event.organisation_id) == (
        "audit.viewed",
        dana.pk,
        north.pk,
    )
    assert event.details == {"user": "carol", "outcome": "forbidden", "page": 1}


def test_the_trail_is_paginated_and_the_pages_keep_the_filters(dana, north, trail):
    for number in range(PAGE_SIZE + 5):
        audit.record("test.bulk", actor=dana, organisation=north, object_id=number)
    client = client_for(dana)
    first = client.get(TRAIL, {"action": "test."})
    assert len(shown(first)) == PAGE_SIZE
    assert b"action=test.&amp;page=2" in first.content
    second = client.get(TRAIL, {"action": "test.", "page": "2"})
    assert len(shown(second)) == 5
    assert set(shown(first)).isdisjoint(shown(second))
    assert client.get(TRAIL, {"page": "999"}).status_code == 200
    assert client.get(TRAIL, {"page": "x" * 1000}).status_code == 200


def test_a_viewer_is_refused_the_trail(victor, trail):
    assert client_for(victor).get(TRAIL).status_code == 403


def test_an_outsider_gets_404_for_another_organisations_trail(bob, trail):
    assert client_for(bob).get(TRAIL).status_code == 404
    assert client_for(bob).get(TRAIL, {"user": "carol"}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(trail):
    response = Client().get(TRAIL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# API


def test_api_lists_north_events_with_details_and_none_of_south(dana, trail):
    response = api(token(dana))
    assert response.status_code == 200, response.content
    events = {event["seq"]: event for event in response.json()}
    assert trail["north_read"] in events
    assert trail["carol_failed"] in events
    assert trail["south_read"] not in events
    assert trail["bob_login"] not in events
    assert events[trail["north_read"]]["actor"] == "carol"
    assert events[trail["north_read"]]["details"]["reason"] == "follow-up"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"outcome": "forbidden"}, {"north_refused"}),
        ({"user": "carol", "action": "auth."}, {"carol_login"}),
        ({"object_type": "casework.person", "object_id": "7"}, {"north_read"}),
    ],
)
def test_api_filters_narrow_the_trail(dana, trail, query, expected):
    response = api(token(dana), query)
    assert response.status_code == 200, response.content
    seqs = {event["seq"] for event in response.json()}
    assert seqs & set(trail.values()) == {trail[name] for name in expected}


def test_api_pages_back_with_before_seq(dana, trail):
    authorization = token(dana)
    newest = api(authorization, {"limit": 1}).json()
    older = api(authorization, {"limit": 2, "before_seq": newest[0]["seq"]}).json()
    assert [event["seq"] for event in older] == sorted(
        (event["seq"] for event in older), reverse=True
    )
    assert all(event["seq"] < newest[0]["seq"] for event in older)


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2025-03-02", "until": "2025-03-01"},
        {"user": "x" * 1000},
        {"outcome": "x" * 21},
        {"since": "not-a-date"},
        {"limit": "501"},
        {"before_seq": "0"},
    ],
)
def test_api_answers_bad_filters_with_a_4xx_and_records_nothing(dana, trail, query):
    authorization = token(dana)
    before = last_seq()
    response = api(authorization, query)
    # 400 from our checks; schema errors are 400 or ninja's 422, depending on api/api.py.
    assert response.status_code in (400, 422)
    assert "detail" in response.json()
    assert last_seq() == before


def test_api_reading_is_audited(dana, north, trail):
    authorization = token(dana)
    before = last_seq()
    api(authorization, {"outcome": "ok"})
    [event] = AuditEvent.unscoped.filter(seq__gt=before)
    assert (event.action, event.actor_id, event.organisation_id) == (
        "audit.viewed",
        dana.pk,
        north.pk,
    )
    assert event.details["outcome"] == "ok"


def test_api_refuses_a_viewer_and_hides_the_trail_from_an_outsider(victor, bob, trail):
    assert api(token(victor)).status_code == 403
    assert api(token(bob)).status_code == 404


def test_api_says_when_the_dates_are_the_wrong_way_round(dana, trail):
    response = api(token(dana), {"since": "2025-03-02", "until": "2025-03-01"})
    assert response.status_code == 400
    assert "The start date is after the end date." in str(response.json()["detail"])

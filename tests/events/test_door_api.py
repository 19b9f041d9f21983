"""The door through the API: the events to check in at, search by name, the offline list.

Door staff on an API token do what the door page does, no more: the same events, the same
registrants' names and door answers (never e-mails), the same sealed list, each search and
each download audited as the page's are.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import Event, Question
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)


@pytest.fixture
def dora(north: Organisation) -> User:
    return make_user("dora", north, Role.DOOR_STAFF, mfa=False)


@pytest.fixture
def event(north: Organisation, officer: User) -> Event:
    return published_event(north, officer, capacity=1, title="Evening debate")


@pytest.fixture
def south_event(south: Organisation) -> Event:
    staff = make_user("sam", south, Role.ADVOCACY_OFFICER, mfa=False)
    return published_event(south, staff, title="South forum")


def _paths(event: Event, org: str = "north") -> dict[str, str]:
    base = f"/api/orgs/{org}/events/{event.pk}/door"
    return {
        "events": f"/api/orgs/{org}/door/events",
        "search": f"{base}/registrants?q=ana",
        "list": f"{base}/list",
    }


def _get(path: str, user: User | None = None) -> Any:
    return Client().get(path, **(bearer(user) if user is not None else {}))


def _audited(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _unseal(code: str, sealed: str) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"haven.door.name").derive(
        code.encode()
    )
    data = base64.b64decode(sealed)
    return AESGCM(key).decrypt(data[:12], data[12:], None).decode()


def test_door_staff_find_the_events_they_may_check_in_at(
    dora: User, event: Event, officer: User, north: Organisation, south_event: Event
) -> None:
    later = published_event(north, officer, title="Next month")
    later.starts_at += timedelta(days=30)
    later.ends_at += timedelta(days=30)
    later.save(update_fields=["starts_at", "ends_at"])
    start = timezone.now() + timedelta(days=2)
    actions.create_event(
        actor=officer,
        owner=north,
        title="Still a draft",
        language="en",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        values={"timezone": "Europe/Paris"},
    )
    response = _get("/api/orgs/north/door/events", dora)
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    # The door page's events, and only what the door page shows of them.
    assert (
        [row["id"] for row in body]
        == [found.pk for found in access.door_events_of(north)]
        == [event.pk]
    )
    assert set(body[0]) == {
        "id",
        "title",
        "starts_at",
        "ends_at",
        "timezone",
        "venue_name",
        "id_check",
    }
    assert body[0]["title"] == "Evening debate"
    page = client_for(dora).get(reverse("door_events", kwargs={"org": "north"})).content.decode()
    assert "Evening debate" in page
    assert "Next month" not in page


def test_a_search_by_name_gives_what_the_door_page_shows_and_is_audited(
    dora: User, north: Organisation, officer: User
) -> None:
    event = published_event(north, officer, id_check=True)
    shown = Question.objects.create(event=event, label="Press card", show_at_door=True)
    hidden = Question.objects.create(event=event, label="Diet", show_at_door=False)
    registered = actions.register(
        event=event,
        name="Zoé Martin",
        email="zoe@example.org",
        answers={str(shown.pk): "PC-123", str(hidden.pk): "Vegan"},
    )
    actions.register(event=event, name="Other Person", email="other@example.org")
    assert registered.booker is not None
    path = f"/api/orgs/north/events/{event.pk}/door/registrants"
    response = Client().get(path, {"q": "  ZOÉ "}, **bearer(dora))
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    found = response.json()
    assert [row["name"] for row in found] == ["Zoé Martin"]
    assert found[0]["id"] == str(registered.booker.pk)
    assert found[0]["answers"] == [{"label": "Press card", "answer": "PC-123"}]
    assert found[0]["checked_in_at"] is None
    text = response.content.decode()
    for secret in ("zoe@example.org", "Vegan", "Diet", "Other Person"):
        assert secret not in text
    assert _audited("event.door_search") == 1
    # The web page's search: the same registrant, the same audit.
    page = client_for(dora).get(
        reverse("event_door", kwargs={"org": "north", "event_id": event.pk}), {"q": "zoé"}
    )
    assert "Zoé Martin" in page.content.decode()
    assert _audited("event.door_search") == 2
    # Checked in by the id the search gave, through the API's batch.
    admitted = Client().post(
        f"/api/orgs/north/events/{event.pk}/check-ins",
        {"check_ins": [{"registration_id": found[0]["id"], "id_checked": True}]},
        content_type="application/json",
        **bearer(dora),
    )
    assert admitted.json()["results"][0]["result"] == "admitted"
    again = Client().get(path, {"q": "martin"}, **bearer(dora)).json()
    assert again[0]["checked_in_at"] is not None


def test_a_search_needs_a_name_of_at_most_100_characters_and_gives_at_most_20(
    dora: User, north: Organisation, officer: User
) -> None:
    event = published_event(north, officer, capacity=100)
    for number in range(access.DOOR_RESULTS + 3):
        actions.register(event=event, name=f"Ana {number}", email=f"ana{number}@example.org")
    path = f"/api/orgs/north/events/{event.pk}/door/registrants"
    for refused in ({}, {"q": ""}, {"q": "   "}, {"q": "a" * 101}):
        response = Client().get(path, refused, **bearer(dora))
        assert response.status_code == 400, (refused, response.content)
        assert "q" in response.json()["detail"]
    assert _audited("event.door_search") == 0
    # Padded as the web page allows it: the name counts, not the spaces around it.
    padded = Client().get(path, {"q": f" {'a' * 100} "}, **bearer(dora))
    assert padded.status_code == 200
    assert padded.json() == []
    many = Client().get(path, {"q": "ana"}, **bearer(dora)).json()
    assert len(many) == access.DOOR_RESULTS == 20


def test_the_offline_list_is_the_door_page_s_and_is_audited(dora: User, event: Event) -> None:
    first = actions.register(event=event, name="Ana Lima", email="ana@example.org").booker
    second = actions.register(event=event, name="Bo Berg", email="bo@example.org").booker
    assert first is not None
    assert second is not None
    actions.check_in(actor=dora, event=event, registration=first)
    response = _get(f"/api/orgs/north/events/{event.pk}/door/list", dora)
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    assert _audited("event.door_list_downloaded") == 1
    web = client_for(dora).get(
        reverse("event_door_list", kwargs={"org": "north", "event_id": event.pk})
    )
    assert _audited("event.door_list_downloaded") == 2
    api_body, web_body = response.json(), web.json()
    assert set(api_body) == set(web_body)
    assert api_body["id_check"] == web_body["id_check"]
    # The list is kept a day from its download, in whole seconds: the page's was downloaded
    # after the API's, possibly in the next second.
    kept_api, kept_web = (
        parse_datetime(api_body["keep_until"]),
        parse_datetime(web_body["keep_until"]),
    )
    assert kept_api is not None
    assert kept_web is not None
    assert timedelta(0) <= kept_web - kept_api <= timedelta(seconds=30)
    queue_until = parse_datetime(api_body["queue_keep_until"])
    assert queue_until == parse_datetime(web_body["queue_keep_until"])
    assert len(api_body["rows"]) == len(web_body["rows"]) == 2
    for ours, theirs in zip(api_body["rows"], web_body["rows"], strict=True):
        assert (
            set(ours) == set(theirs) == {"digest", "id", "name_sealed", "status", "checked_in_at"}
        )
        assert (ours["digest"], ours["id"], ours["status"]) == (
            theirs["digest"],
            theirs["id"],
            theirs["status"],
        )
    assert api_body["rows"][0]["checked_in_at"] is not None
    assert api_body["rows"][1]["checked_in_at"] is None
    # No name or address in the clear: each name opens with its own ticket only.
    text = response.content.decode()
    for secret in ("Ana Lima", "Bo Berg", "ana@example.org", "bo@example.org"):
        assert secret not in text
    code = access.ticket_code(first)
    assert api_body["rows"][0]["digest"] == access.ticket_digest(code)
    assert _unseal(code, api_body["rows"][0]["name_sealed"]) == "Ana Lima"
    assert _unseal(access.ticket_code(second), api_body["rows"][1]["name_sealed"]) == "Bo Berg"


@pytest.mark.parametrize("operation", ["events", "search", "list"])
def test_each_door_operation_refuses_as_the_door_page_does(
    operation: str, dora: User, victor: User, event: Event, south_event: Event
) -> None:
    ours = _paths(event)[operation]
    assert _get(ours).status_code == 401
    assert _get(ours, victor).status_code == 403  # a viewer: no events.check_in
    assert _get(ours, dora).status_code == 200
    # Someone of another organisation: north is not theirs, and so is nothing of it.
    south_door = make_user("sid", south_event.owner, Role.DOOR_STAFF, mfa=False)
    assert _get(ours, south_door).status_code == 404
    if operation != "events":
        # Another organisation's event, asked for under one's own: not found.
        assert _get(_paths(south_event)[operation], dora).status_code == 404
        assert _get(_paths(event, org="south")[operation], south_door).status_code == 404
        # A cancelled event has no door, on the page as through the API.
        actions.move_event(actor=dora, event=event, move="cancel", reason="Strike")
        assert _get(ours, dora).status_code == 404
    assert _audited("event.door_search") == int(operation == "search")
    assert _audited("event.door_list_downloaded") == int(operation == "list")


def test_check_ins_and_counts_refuse_a_cancelled_event_as_the_door_page_does(
    dora: User, event: Event
) -> None:
    base = f"/api/orgs/north/events/{event.pk}"
    assert _get(f"{base}/counts", dora).status_code == 200
    actions.move_event(actor=dora, event=event, move="cancel", reason="Strike")
    assert _get(f"{base}/counts", dora).status_code == 404
    batch = Client().post(
        f"{base}/check-ins",
        {"check_ins": [{"code": "NOPE"}]},
        content_type="application/json",
        **bearer(dora),
    )
    assert batch.status_code == 404

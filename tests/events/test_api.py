"""Events through the API: the owner's operations, the door's check-ins, public registration."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.events import access
from haven.events import actions as events_actions
from haven.events.models import Event, Registration, Session
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, make_user
from tests.events.world import published_event


def _send(client: Client, method: str, path: str, body: Any, **headers: str) -> Any:
    return getattr(client, method)(
        path, json.dumps(body), content_type="application/json", **headers
    )


def _auth(user: Any) -> dict[str, Any]:
    return bearer(user)


def _when(days: int = 10, hours: int = 0) -> str:
    moment = timezone.now().replace(microsecond=0) + timedelta(days=days, hours=hours)
    return moment.isoformat()


def test_the_owner_publishes_an_event_with_its_programme_and_the_public_registers(
    adam, north, south, django_capture_on_commit_callbacks
):
    client = Client()
    owner: dict[str, Any] = _auth(adam)
    created = _send(
        client,
        "post",
        "/api/orgs/north/events",
        {
            "language": "en",
            "title": "Evening debate",
            "kind": "seminar",
            "starts_at": _when(),
            "ends_at": _when(hours=3),
            "timezone": "Europe/Paris",
            "online": True,
            "capacity": 1,
            "interpretation": ["fr"],
        },
        **owner,
    )
    assert created.status_code == 201, created.content
    event = json.loads(created.content)
    base = f"/api/orgs/north/events/{event['id']}"
    public = f"/api/events/north/{event['slug']}"
    assert client.get(public).status_code == 404  # a draft is not public
    patched = _send(client, "patch", base, {"room": "Salle 2", "id_check": True}, **owner)
    assert json.loads(patched.content)["room"] == "Salle 2"
    texts = _send(
        client, "put", f"{base}/texts", {"language": "fr", "title": "Débat du soir"}, **owner
    )
    assert json.loads(texts.content) == [
        {"language": "fr", "title": "Débat du soir", "description": ""}
    ]
    secret = "https://meet.example.org/secret-room"
    meeting = _send(client, "put", f"{base}/meeting", {"meeting_url": secret}, **owner)
    assert json.loads(meeting.content)["meeting_url"] == secret
    assert json.loads(client.get(f"{base}/meeting", **owner).content)["meeting_url"] == secret
    partners = _send(
        client,
        "post",
        f"{base}/partners",
        {"organisation_id": south.pk, "role": "co_sponsor"},
        **owner,
    )
    assert partners.status_code == 201
    speaker = json.loads(
        _send(
            client, "post", "/api/orgs/north/speakers", {"name": "Ana", "title": "MP"}, **owner
        ).content
    )
    session = _send(
        client,
        "post",
        f"{base}/sessions",
        {
            "title": "Round table",
            "kind": "round_table",
            "starts_at": _when(),
            "ends_at": _when(hours=1),
        },
        **owner,
    )
    assert session.status_code == 201, session.content
    session_id = json.loads(session.content)["id"]
    placed = _send(
        client,
        "post",
        f"{base}/sessions/{session_id}/speakers",
        {"speaker_id": speaker["id"], "role": "moderator", "talk_title": "Why shelters"},
        **owner,
    )
    assert json.loads(placed.content)["speakers"][0]["talk_title"] == "Why shelters"
    question = json.loads(
        _send(
            client,
            "post",
            f"{base}/questions",
            {"label": "Interpretation", "kind": "language", "required": True},
            **owner,
        ).content
    )
    published = _send(client, "post", f"{base}/status", {"move": "publish"}, **owner)
    assert json.loads(published.content)["status"] == "published"

    shown = client.get(public)
    assert shown.status_code == 200
    assert secret.encode() not in shown.content
    page = json.loads(shown.content)
    assert page["programme"][0]["speakers"][0]["name"] == "Ana"
    assert page["partners"] == [{"organisation": "South Helpline", "role": "co_sponsor"}]
    listed = json.loads(client.get("/api/events?language=fr&country=").content)
    assert [item["slug"] for item in listed] == [event["slug"]]
    assert json.loads(client.get("/api/events?when=past").content) == []

    answers = {str(question["id"]): "fr"}
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(
            client,
            "post",
            f"{public}/registrations",
            {"name": "Léa", "email": "lea@example.org", "answers": answers},
        )
        again = _send(
            client,
            "post",
            f"{public}/registrations",
            {"name": "Léa", "email": "LEA@example.org", "answers": answers},
        )
        second = _send(
            client,
            "post",
            f"{public}/registrations",
            {"name": "Tom", "email": "tom@example.org", "answers": answers},
        )
    assert first.status_code == again.status_code == second.status_code == 202
    assert json.loads(first.content) == json.loads(again.content)
    with scopes_disabled():
        assert Registration.objects.count() == 2
    rows = json.loads(client.get(f"{base}/registrations?status=confirmed", **owner).content)
    assert rows["count"] == 1
    assert rows["items"][0]["email"] == "lea@example.org"
    assert rows["items"][0]["answers"] == answers
    assert (
        json.loads(client.get(f"{base}/registrations?status=waiting", **owner).content)["count"]
        == 1
    )
    lea_id = rows["items"][0]["id"]
    with scopes_disabled():
        lea = Registration.objects.get(pk=lea_id)
    code = access.ticket_code(lea)
    batch = _send(
        client,
        "post",
        f"{base}/check-ins",
        {
            "check_ins": [
                {"code": code},
                {"code": code, "id_checked": True, "offline": True},
                {"code": code, "id_checked": True},
                {"code": "nope"},
            ]
        },
        **owner,
    )
    results = [item["result"] for item in json.loads(batch.content)["results"]]
    assert results == ["id_required", "admitted", "already", "unknown"]
    counts = json.loads(client.get(f"{base}/counts", **owner).content)
    assert (counts["registered"], counts["waiting"], counts["checked_in"]) == (1, 1, 1)
    # Tom, waiting, is offered Léa's place? She came in: cancelling her is refused.
    refused = _send(client, "post", f"{base}/registrations/{lea_id}/cancellation", {}, **owner)
    assert refused.status_code == 400
    tom_id = json.loads(client.get(f"{base}/registrations?status=waiting", **owner).content)[
        "items"
    ][0]["id"]
    revoked = _send(client, "post", f"{base}/registrations/{tom_id}/link-revocation", {}, **owner)
    assert revoked.json()["link_revoked_at"] is not None
    cancelled = _send(client, "post", f"{base}/registrations/{tom_id}/cancellation", {}, **owner)
    assert cancelled.json() == {"cancelled": 1}
    cancel = _send(client, "post", f"{base}/status", {"move": "cancel"}, **owner)
    assert "reason" in cancel.json()["detail"]
    cancel = _send(
        client, "post", f"{base}/status", {"move": "cancel", "reason": "Strike"}, **owner
    )
    assert cancel.json()["status"] == "cancelled"
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="event.registrations_viewed").count() == 3
        assert AuditEvent.objects.filter(action="event.checked_in").count() == 1


@pytest.fixture
def north_event(adam, north) -> Event:
    with scopes_disabled():
        return published_event(north, adam, capacity=5)


def test_another_organisation_sees_nothing_and_a_viewer_may_not_manage(north_event, south, victor):
    client = Client()
    outsider = make_user("sol", south, Role.ADVOCACY_OFFICER, mfa=False)
    base = f"/api/orgs/north/events/{north_event.pk}"
    # Another organisation's staff: not a member of north, so nothing of north is found.
    assert client.get(base, **_auth(outsider)).status_code in (403, 404)
    assert (
        client.get(f"/api/orgs/south/events/{north_event.pk}", **_auth(outsider)).status_code == 404
    )
    assert (
        _send(
            client,
            "patch",
            f"/api/orgs/south/events/{north_event.pk}",
            {"room": "X"},
            **_auth(outsider),
        ).status_code
        == 404
    )
    assert client.get(base, **_auth(victor)).status_code == 403
    assert client.get(f"{base}/registrations", **_auth(victor)).status_code == 403
    assert client.get(base).status_code == 401
    door = make_user("dora", north_event.owner, Role.DOOR_STAFF, mfa=False)
    assert client.get(f"{base}/counts", **_auth(door)).status_code == 200
    assert client.get(f"{base}/registrations", **_auth(door)).status_code == 403


def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(adam, north_event):
    client = Client()
    owner = _auth(adam)
    with scopes_disabled():
        before = Event.objects.count()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "X", "starts_at": _when(hours=2), "ends_at": _when()}, "ends_at"),
        ({"title": "X", "starts_at": _when(), "ends_at": _when(hours=1), "kind": "rave"}, "kind"),
        (
            {"title": "X", "starts_at": _when(), "ends_at": _when(hours=1), "capacity": 0},
            "capacity",
        ),
        ({"title": "", "starts_at": _when(), "ends_at": _when(hours=1)}, "title"),
        (
            {
                "title": "X",
                "starts_at": _when(),
                "ends_at": _when(hours=1),
                "timezone": "Mars/Base",
            },
            "timezone",
        ),
    ]
    for body, field in cases:
        answer = _send(
            client, "post", "/api/orgs/north/events", {"language": "en", **body}, **owner
        )
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json()["detail"], (field, answer.content)
    with scopes_disabled():
        assert Event.objects.count() == before
    base = f"/api/orgs/north/events/{north_event.pk}"
    outside = _send(
        client,
        "post",
        f"{base}/sessions",
        {"title": "Late", "starts_at": _when(days=30), "ends_at": _when(days=30, hours=1)},
        **owner,
    )
    assert outside.status_code == 400
    assert "starts_at" in outside.json()["detail"]
    with scopes_disabled():
        assert not Session.objects.exists()
    public = f"/api/events/north/{north_event.slug}/registrations"
    registrations: list[tuple[dict[str, Any], str]] = [
        ({"name": "", "email": "a@example.org"}, "name"),
        ({"name": "A", "email": "not-an-address"}, "email"),
        ({"name": "A", "email": "a@example.org", "answers": {"999": "x"}}, "answers"),
        ({"name": "A", "email": "a@example.org", "companions": ["B"]}, "companions"),
    ]
    for body, field in registrations:
        answer = _send(client, "post", public, body)
        assert answer.status_code == 400, (body, answer.content)
        assert field in answer.json()["detail"], (field, answer.content)
    with scopes_disabled():
        assert not Registration.objects.exists()
    # A malformed address gets the web form's words, with nothing of the schema library's.
    malformed = _send(client, "post", public, {"name": "A", "email": "a@@example.org"})
    assert malformed.json()["detail"] == {"email": ["Enter a valid e-mail address."]}
    bad_batch = _send(client, "post", f"{base}/check-ins", {"check_ins": []}, **owner)
    assert bad_batch.status_code == 400


def test_a_draft_is_not_public_and_registration_is_rate_limited(adam, north, settings):
    settings.HAVEN_RATE_PER_IP = "2/10m"
    client = Client()
    with scopes_disabled():
        event = published_event(north, adam)
    public = f"/api/events/north/{event.slug}/registrations"
    statuses = [
        _send(client, "post", public, {"name": "A", "email": f"a{n}@example.org"}).status_code
        for n in range(3)
    ]
    assert statuses == [202, 202, 429]
    assert client.get("/api/events/north/no-such-event").status_code == 404


def test_the_registration_answer_is_the_same_bytes_for_everyone_in_the_callers_language(
    adam, north
):
    client = Client()
    with scopes_disabled():
        event = published_event(north, adam)
    public = f"/api/events/north/{event.slug}/registrations"
    body = {"name": "A", "email": "a@example.org"}
    first, again = (_send(client, "post", public, body) for _ in range(2))
    french = _send(
        client, "post", public, body | {"email": "b@example.org"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    english = _send(client, "post", public, body | {"email": "c@example.org"})
    assert first.status_code == again.status_code == french.status_code == 202
    assert first["Content-Type"] == "application/json; charset=utf-8"
    assert first.content == again.content == english.content, "nobody learns who registered"
    assert first.json()["detail"].startswith("Thank you.")
    assert french.json()["detail"].startswith("Merci."), french.content


def test_one_address_registers_for_several_events_within_the_hour(adam, north, settings):
    settings.HAVEN_RATE_PER_ADDRESS = "1/h"
    client = Client()
    with scopes_disabled():
        first = published_event(north, adam, title="Morning panel")
        second = published_event(north, adam, title="Evening screening")
    body = {"name": "A", "email": "a@example.org"}
    for event in (first, second):
        path = f"/api/events/north/{event.slug}/registrations"
        assert _send(client, "post", path, body).status_code == 202
    assert _send(client, "post", path, body).status_code == 429


def test_the_openapi_document_lists_the_event_operations(db):
    schema = json.loads(Client().get("/api/openapi.json").content)
    paths = schema["paths"]
    for path in (
        "/api/orgs/{org}/events",
        "/api/orgs/{org}/events/{event_id}",
        "/api/orgs/{org}/events/{event_id}/status",
        "/api/orgs/{org}/events/{event_id}/sessions/{session_id}/speakers",
        "/api/orgs/{org}/events/{event_id}/registrations",
        "/api/orgs/{org}/events/{event_id}/check-ins",
        "/api/orgs/{org}/events/{event_id}/counts",
        "/api/orgs/{org}/door/events",
        "/api/orgs/{org}/events/{event_id}/door/registrants",
        "/api/orgs/{org}/events/{event_id}/door/list",
        "/api/events",
        "/api/events/{org}/{event}",
        "/api/events/{org}/{event}/registrations",
    ):
        assert path in paths, path
    tags = {tag for item in paths.values() for op in item.values() for tag in op.get("tags", [])}
    assert "events" in tags
    assert Organisation.objects.count() >= 0


# --- the event held for a rush of registrations (decision 13) ------------------------------


def _register(client: Client, event: Event, email: str, **extra: Any) -> Any:
    body = {"name": "Rush Visitor", "email": email, **extra}
    return _send(client, "post", f"/api/events/north/{event.slug}/registrations", body)


def test_a_rush_of_registrations_reads_the_event_and_its_questions_once(adam, north):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with scopes_disabled():
        event = published_event(north, adam, capacity=10)
        question = events_actions.save_question(actor=adam, event=event, label="Organisation")
    answers = {"answers": {str(question.pk): "North Shelter"}}
    assert _register(client, event, "first@example.org", **answers).status_code == 202
    with CaptureQueriesContext(connection) as queries:
        assert _register(client, event, "second@example.org", **answers).status_code == 202
    read = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert not [sql for sql in read if "events_event" in sql or "events_question" in sql]
    with scopes_disabled():
        assert Event.objects.get(pk=event.pk).places_taken == 2


def test_the_owner_s_changes_reach_the_next_registration_at_once(adam, north):
    client = Client()
    with scopes_disabled():
        event = published_event(north, adam, capacity=10)
    assert _register(client, event, "first@example.org").status_code == 202  # now held

    with scopes_disabled():
        question = events_actions.save_question(
            actor=adam, event=event, label="Organisation", required=True
        )
    missing = _register(client, event, "second@example.org")
    assert missing.status_code == 400
    assert f"question_{question.pk}" in missing.json()["detail"]
    answered = {"answers": {str(question.pk): "North Shelter"}}
    assert _register(client, event, "second@example.org", **answered).status_code == 202

    with scopes_disabled():
        events_actions.remove_question(actor=adam, event=event, question_id=question.pk)
    assert _register(client, event, "third@example.org", **answered).status_code == 400

    with scopes_disabled():
        events_actions.update_event(actor=adam, event=event, changes={"registration_open": False})
    assert _register(client, event, "fourth@example.org").status_code == 400

    with scopes_disabled():
        events_actions.update_event(actor=adam, event=event, changes={"registration_open": True})
        events_actions.move_event(actor=adam, event=event, move="cancel", reason="Strike")
    assert _register(client, event, "fifth@example.org").status_code == 400
    with scopes_disabled():
        assert Registration.objects.filter(event=event).count() == 2


def test_a_change_made_in_another_process_reaches_registrations_within_a_second(
    adam, north, monkeypatch
):
    from django.core.cache import cache

    from haven import public_cache

    clock = [100.0]
    monkeypatch.setattr(access._registration_targets, "clock", lambda: clock[0])
    client = Client()
    with scopes_disabled():
        event = published_event(north, adam, capacity=10)
    assert _register(client, event, "first@example.org").status_code == 202
    # The other process closes registration: the row and the shared cache change.
    with scopes_disabled():
        Event.objects.filter(pk=event.pk).update(registration_open=False)
    cache.delete(access._registration_targets._key("north", event.slug))
    clock[0] += public_cache.LOCAL_SECONDS
    assert _register(client, event, "second@example.org").status_code == 400


def test_a_registration_in_an_unknown_language_is_refused(adam, north_event):
    client = Client()
    move = f"/api/orgs/north/events/{north_event.pk}/publish"
    _send(client, "post", move, {}, **_auth(adam))
    public = f"/api/events/north/{north_event.slug}/registrations"
    body = {"name": "QA Person", "email": "qa@example.org", "language": "zz-top"}
    refused = _send(client, "post", public, body)
    assert refused.status_code == 400, refused.content
    assert "language" in refused.json()["detail"]
    with scopes_disabled():
        assert not Registration.objects.exists()

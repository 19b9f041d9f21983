"""The door: admit a ticket once, refuse with a reason, check IDs, sync offline check-ins."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions, content, door
from haven.events.models import CheckInAttempt, Event, Question, Registration
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.events.world import published_event
from tests.marks import concurrent_writers

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


@pytest.fixture
def dora(north: Organisation) -> User:
    return make_user("dora", north, Role.DOOR_STAFF, mfa=False)


@pytest.fixture
def event(north: Organisation, officer: User) -> Event:
    return published_event(north, officer, capacity=1, title="Evening debate")


def url(event: Event, name: str) -> str:
    return reverse(name, kwargs={"org": event.owner.slug, "event_id": event.pk})


def ticket(event: Event, name: str = "Ana Lima", email: str = "ana@example.org") -> str:
    registered = actions.register(event=event, name=name, email=email)
    assert registered.booker is not None
    return access.ticket_code(registered.booker)


def scan(client: Client, event: Event, *items: object) -> list[dict[str, Any]]:
    response = client.post(
        url(event, "event_door_check_in"),
        data=json.dumps({"items": list(items)}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_a_ticket_is_admitted_once_then_refused_as_already(dora: User, event: Event) -> None:
    code = ticket(event)
    client = client_for(dora)
    first = scan(client, event, {"code": code})[0]
    assert first["result"] == "admitted"
    assert first["registrant"]["name"] == "Ana Lima"
    second = scan(client, event, {"code": code.upper()})[0]
    assert second["result"] == "already"
    assert second["message"].startswith("Already checked in at ")
    assert Registration.objects.filter(event=event, checked_in_at__isnull=False).count() == 1
    assert client.get(url(event, "event_door_counts")).json()["checked_in"] == 1


def test_the_code_printed_in_groups_is_admitted_as_typed(dora: User, event: Event) -> None:
    code = ticket(event)
    printed = content.grouped_code(code)
    assert printed.split() == [code[start : start + 4] for start in range(0, 32, 4)]
    client = client_for(dora)
    typed = f"  {printed.replace(' ', '-', 3).upper()} "
    assert scan(client, event, {"code": typed})[0]["result"] == "admitted"
    # Without JavaScript, the form posts it as typed too.
    response = client.post(url(event, "event_door_check_in"), {"code": printed})
    assert response.status_code == 302
    assert CheckInAttempt.objects.filter(event=event, result="already").count() == 1


def test_cancelled_waiting_and_unknown_tickets_are_refused(dora: User, event: Event) -> None:
    confirmed = actions.register(event=event, name="Ana", email="ana@example.org").booker
    waiting = actions.register(event=event, name="Ben", email="ben@example.org").booker
    assert confirmed is not None
    assert waiting is not None
    assert waiting.status == "waiting"
    code = access.ticket_code(confirmed)
    actions.cancel_registrations(event=event, registrations=[confirmed])
    waiting.refresh_from_db()
    # Cancelling promoted Ben to an offer: still not a confirmed ticket.
    results = scan(
        client_for(dora),
        event,
        {"code": code},
        {"code": access.ticket_code(waiting)},
        {"code": "0" * 32},
    )
    assert [row["result"] for row in results] == ["cancelled", "not_confirmed", "unknown"]
    assert results[2]["registrant"] is None
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_the_waiting_list_is_refused(dora: User, event: Event) -> None:
    ticket(event)
    waiting = actions.register(event=event, name="Ben", email="ben@example.org").booker
    assert waiting is not None
    assert waiting.status == "waiting"
    result = scan(client_for(dora), event, {"code": access.ticket_code(waiting)})[0]
    assert result["result"] == "not_confirmed"


def test_the_id_check_step(dora: User, north: Organisation, officer: User) -> None:
    event = published_event(north, officer, id_check=True)
    question = Question.objects.create(event=event, label="Press card", show_at_door=True)
    Question.objects.create(event=event, label="Secret", show_at_door=False)
    registered = actions.register(
        event=event,
        name="Chloé",
        email="chloe@example.org",
        answers={str(question.pk): "PC-123"},
    )
    assert registered.booker is not None
    code = access.ticket_code(registered.booker)
    client = client_for(dora)
    refused = scan(client, event, {"code": code})[0]
    assert refused["result"] == "id_required"
    assert refused["registrant"]["answers"] == [{"label": "Press card", "answer": "PC-123"}]
    registered.booker.refresh_from_db()
    assert registered.booker.checked_in_at is None
    admitted = scan(client, event, {"code": code, "id_checked": True})[0]
    assert admitted["result"] == "admitted"
    registered.booker.refresh_from_db()
    assert registered.booker.id_checked is True


def test_a_batch_syncs_offline_check_ins_and_refuses_bad_items(dora: User, event: Event) -> None:
    event.capacity = 10
    event.save(update_fields=["capacity"])
    first = ticket(event, "Ana", "ana@example.org")
    second = ticket(event, "Ben", "ben@example.org")
    earlier = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    results = scan(
        client_for(dora),
        event,
        {"code": first, "offline": True, "scanned_at": earlier.isoformat()},
        {"code": 12},
        {"code": second, "registration_id": "x"},
        {"code": "x", "scanned_at": "yesterday"},
        "nonsense",
        {"code": second, "offline": True},
        {"code": first, "offline": True},
    )
    assert [row["result"] for row in results] == [
        "admitted",
        "error",
        "error",
        "error",
        "error",
        "admitted",
        "already",
    ]
    row = Registration.objects.get(event=event, ticket_digest=access.ticket_digest(first))
    assert row.checked_in_at == earlier
    assert CheckInAttempt.objects.filter(event=event, offline=True).count() == 3


def test_a_batch_is_capped(dora: User, event: Event) -> None:
    response = client_for(dora).post(
        url(event, "event_door_check_in"),
        data=json.dumps({"items": [{"code": "x"}] * 201}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not CheckInAttempt.objects.exists()


def test_admit_by_name_search(dora: User, north: Organisation, officer: User) -> None:
    event = published_event(north, officer, id_check=True)
    registered = actions.register(event=event, name="Zoé Martin", email="zoe@example.org")
    actions.register(event=event, name="Other Person", email="other@example.org")
    assert registered.booker is not None
    client = client_for(dora)
    page = client.get(url(event, "event_door"), {"q": "zoé"})
    assert page.status_code == 200
    assert "Zoé Martin" in page.content.decode()
    assert "Other Person" not in page.content.decode()
    assert "I checked the ID or press card" in page.content.decode()
    assert AuditEvent.objects.filter(action="event.door_search").count() == 1
    # Typed on a phone without the accent, the name is found all the same.
    assert "Zoé Martin" in client.get(url(event, "event_door"), {"q": "ZOE"}).content.decode()
    # The form fallback (no JavaScript) admits through the same endpoint.
    response = client.post(
        url(event, "event_door_check_in"),
        {"registration_id": str(registered.booker.pk), "id_checked": "on"},
    )
    assert response.status_code == 302
    registered.booker.refresh_from_db()
    assert registered.booker.checked_in_at is not None


def test_search_shows_when_someone_came_in_instead_of_admitting_them_again(
    dora: User, north: Organisation, officer: User
) -> None:
    event = published_event(north, officer, timezone="Asia/Tokyo")
    came = actions.register(event=event, name="Zoé Martin", email="zoe@example.org").booker
    assert came is not None
    actions.check_in(actor=dora, event=event, registration=came)
    came.refresh_from_db()
    assert came.checked_in_at is not None
    page = client_for(dora).get(url(event, "event_door"), {"q": "zoé"}).content.decode()
    tokyo = content.local_time(event, came.checked_in_at).strftime("%H:%M")
    assert f"Checked in at {tokyo}" in page
    assert 'class="door-admit"' in page  # the typed code's form only
    assert "door-admit-form" not in page


def test_the_door_page_names_the_time_zone_of_its_times(dora: User, event: Event) -> None:
    page = client_for(dora).get(url(event, "event_door")).content.decode()
    start = formats.date_format(content.local_time(event, event.starts_at), "SHORT_DATETIME_FORMAT")
    # As people read it ("CET, UTC+1"), its IANA name in the title, like the public pages.
    zone = content.zone_label(event)
    assert zone.startswith(("CET", "CEST"))
    assert f'{start} (<span class="event-zone" title="Europe/Paris">{zone}</span>)' in page
    assert "Europe/Paris)" not in page
    assert f"({content.zone_label(event, event.ends_at)}; an hour after the event ends" in page


def _unseal(code: str, sealed: str) -> str:
    """What door.js does to read a name: HKDF of the scanned code, then AES-GCM."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"haven.door.name").derive(
        code.encode()
    )
    data = base64.b64decode(sealed)
    return AESGCM(key).decrypt(data[:12], data[12:], None).decode()


def test_the_door_list_keeps_only_what_admission_needs(dora: User, event: Event) -> None:
    code = ticket(event)
    other = ticket(event, name="Bo Berg", email="bo@example.org")
    response = client_for(dora).get(url(event, "event_door_list"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    rows = body["rows"]
    assert [set(row) for row in rows] == [
        {"digest", "id", "name_sealed", "status", "checked_in_at"}
    ] * 2
    assert rows[0]["digest"] == access.ticket_digest(code)
    assert [row["status"] for row in rows] == ["confirmed", "waiting"]
    # No name, address or answer in the clear: each name opens with its own ticket only.
    content = response.content.decode()
    for secret in ("Ana Lima", "Bo Berg", "ana@example.org", "bo@example.org"):
        assert secret not in content
    assert _unseal(code, rows[0]["name_sealed"]) == "Ana Lima"
    assert _unseal(other, rows[1]["name_sealed"]) == "Bo Berg"
    with pytest.raises(InvalidTag):
        _unseal(other, rows[0]["name_sealed"])
    assert AuditEvent.objects.filter(action="event.door_list_downloaded").count() == 1


def test_the_phone_keeps_the_list_until_shortly_after_the_event_and_a_day_at_most(
    dora: User, event: Event
) -> None:
    now = timezone.now().replace(microsecond=0)
    list_until, queue_until = door.keep_until(event, now)
    # A week ahead: a day at most; the queue until a week after the event.
    assert list_until == now + timedelta(hours=24)
    assert queue_until == event.ends_at + timedelta(days=7)
    during = event.starts_at + timedelta(minutes=30)
    assert door.keep_until(event, during)[0] == event.ends_at + timedelta(hours=1)
    body = client_for(dora).get(url(event, "event_door_list")).json()
    kept_until = parse_datetime(body["keep_until"])
    assert kept_until is not None
    assert kept_until <= timezone.now() + timedelta(hours=24)
    assert parse_datetime(body["queue_keep_until"]) == queue_until
    page = client_for(dora).get(url(event, "event_door")).content.decode()
    assert "data-keep-until=" in page
    assert "deleted when you log out" in page


def test_the_door_pages_render(dora: User, event: Event) -> None:
    client = client_for(dora)
    listing = client.get(reverse("door_events", kwargs={"org": event.owner.slug}))
    assert listing.status_code == 200
    assert "Evening debate" in listing.content.decode()
    page = client.get(url(event, "event_door"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="door-labels"' in body
    assert "<script>" not in body


def test_the_door_pages_give_the_start_in_the_events_own_time_zone(
    dora: User, event: Event
) -> None:
    from haven.events.content import local_time

    # The event is in Paris; the staff's pages are in UTC: an hour or two apart.
    paris = local_time(event, event.starts_at)
    assert paris.hour != event.starts_at.hour
    client = client_for(dora)
    listing = client.get(reverse("door_events", kwargs={"org": event.owner.slug}))
    page = client.get(url(event, "event_door"))
    for body in (listing.content.decode(), page.content.decode()):
        assert formats.date_format(paris, "SHORT_DATETIME_FORMAT") in body


def test_another_organisations_staff_get_404(south: Organisation, event: Event) -> None:
    code = ticket(event)
    stranger = client_for(make_user("sam", south, Role.DOOR_STAFF, mfa=False))
    for name in ("event_door", "event_door_counts", "event_door_list"):
        path = url(event, name).replace("/o/north/", "/o/south/")
        assert stranger.get(path).status_code == 404
        assert stranger.get(url(event, name)).status_code in (403, 404)
    response = stranger.post(
        url(event, "event_door_check_in").replace("/o/north/", "/o/south/"),
        data=json.dumps({"items": [{"code": code}]}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_door_staff_use_the_door_but_not_the_staff_pages(dora: User, event: Event) -> None:
    client = client_for(dora)
    assert client.get(url(event, "event_door")).status_code == 200
    assert client.get(url(event, "event_detail")).status_code == 403
    assert client.get(url(event, "event_registrations")).status_code == 403


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
def test_two_doors_posting_the_same_ticket_admit_it_once(north: Organisation) -> None:
    officer = make_user("olga-door-race", north, Role.ADVOCACY_OFFICER)
    doors = [make_user(f"door-{n}", north, Role.DOOR_STAFF, mfa=False) for n in range(2)]
    with scopes_disabled():
        event = published_event(north, officer)
        code = ticket(event)
    clients = [client_for(user) for user in doors]
    barrier = threading.Barrier(2)
    results: list[str] = []

    def door(client: Client) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(scan(client, event, {"code": code})[0]["result"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=door, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["admitted", "already"], results

"""Who sees an event: an invitation-only one stays off the listing, the feed and the API
listing, and its venue reaches its registrants only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events import access, actions, tasks
from haven.events.models import Event, Registration
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for
from tests.events.world import published_event
from tests.letters.conftest import html_part

pytestmark = pytest.mark.usefixtures("unscoped")

VENUE = "Safe house; back door"
ADDRESS = "1 Secret Street"


def _kwargs(event: Event) -> dict[str, str]:
    return {"org": event.owner.slug, "event": event.slug}


@pytest.fixture
def hidden(north: Organisation, adam: User) -> Event:
    return published_event(
        north,
        adam,
        title="Closed meeting",
        visibility="invitation",
        venue_name=VENUE,
        venue_address=ADDRESS,
        room="Cellar",
        city="Lyon",
    )


@pytest.fixture
def open_event(north: Organisation, adam: User) -> Event:
    return published_event(
        north, adam, title="Open debate", venue_name="Town hall", venue_address="2 Main Street"
    )


def test_an_invitation_only_event_is_on_no_list_feed_or_api_listing(
    hidden: Event, open_event: Event
) -> None:
    client = Client()
    listing = client.get(reverse("events_public")).content.decode()
    assert "Open debate" in listing
    assert "Closed meeting" not in listing
    feed = client.get(reverse("events_feed")).content.decode()
    assert "Open debate" in feed
    assert "2 Main Street" in feed
    assert "Closed meeting" not in feed
    assert ADDRESS not in feed
    api = json.loads(client.get("/api/events").content)
    assert [item["title"] for item in api] == ["Open debate"]


def test_its_page_reached_by_link_keeps_the_venue_from_the_public(hidden: Event) -> None:
    client = Client()
    page = client.get(reverse("event_public", kwargs=_kwargs(hidden)))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Closed meeting" in text
    assert "Lyon" in text
    assert ADDRESS not in text
    assert "Safe house" not in text
    assert "Cellar" not in text
    assert "the venue is given to registrants" in text
    assert '<meta name="robots" content="noindex">' in text
    for name in ("event_programme", "event_register", "event_calendar"):
        other = client.get(reverse(name, kwargs=_kwargs(hidden))).content.decode()
        assert ADDRESS not in other, name
        assert "Safe house" not in other, name
    detail = json.loads(client.get(f"/api/events/north/{hidden.slug}").content)
    assert (detail["venue_name"], detail["venue_address"], detail["room"]) == ("", "", "")
    assert detail["city"] == "Lyon"


def test_a_registrant_reads_the_venue_in_the_confirmation_and_on_their_page(
    hidden: Event, adam: User
) -> None:
    code = actions.create_invitation_code(actor=adam, event=hidden)
    actions.register(
        event=hidden, name="Ines", email="ines@example.org", answers={}, code=code.code
    )
    mail.outbox.clear()
    tasks.send_notices.call()
    [message] = mail.outbox
    assert ADDRESS in str(message.body)
    assert ADDRESS in html_part(message)
    calendar = {name: body for name, body, _kind in message.attachments}["event.ics"]
    assert "Secret Street" in (calendar.decode() if isinstance(calendar, bytes) else calendar)
    found = re.search(r"https?://[^/\s]+(/events/\S+/r/\S+/)", str(message.body))
    assert found is not None
    page: Any = Client().get(found.group(1))
    assert page.status_code == 200
    assert ADDRESS in page.content.decode()
    assert "the venue is given to registrants" not in page.content.decode()


# --- withdrawing ------------------------------------------------------------------------------


def _registered(event: Event, email: str = "ana@example.org") -> str:
    """Register someone; the path of their own page."""
    registered = actions.register(event=event, name="Ana", email=email, answers={})
    assert registered.booker is not None
    return reverse(
        "event_registration",
        kwargs={**_kwargs(event), "token": access.manage_token(registered.booker)},
    )


def test_withdrawing_needs_a_reason_and_a_public_event(adam: User, north: Organisation) -> None:
    event = published_event(north, adam)
    client = Client()
    path = f"/api/orgs/north/events/{event.pk}/status"
    refused = client.post(
        path, json.dumps({"move": "withdraw"}), content_type="application/json", **bearer(adam)
    )
    assert refused.status_code == 400
    assert "reason" in json.loads(refused.content)["detail"]
    event.refresh_from_db()
    assert event.status == "published"
    draft = actions.create_event(
        actor=adam,
        owner=north,
        title="Draft",
        language="en",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )
    with pytest.raises(ValidationError):
        actions.move_event(actor=adam, event=draft, move="withdraw", reason="Mistake")


def test_a_withdrawn_event_leaves_every_public_page_and_registrants_are_told(
    adam: User, north: Organisation
) -> None:
    event = published_event(north, adam, title="Taken down", capacity=5)
    own_page = _registered(event)
    tasks.send_notices.call()
    mail.outbox.clear()
    client = Client()
    answer = client.post(
        f"/api/orgs/north/events/{event.pk}/status",
        json.dumps({"move": "withdraw", "reason": "Threats against the venue"}),
        content_type="application/json",
        **bearer(adam),
    )
    assert answer.status_code == 200
    assert json.loads(answer.content)["status"] == "withdrawn"
    tasks.send_event_withdrawn.call(event.pk)
    [message] = [message for message in mail.outbox if message.to == ["ana@example.org"]]
    assert "Withdrawn: Taken down" in message.subject
    assert "Threats against the venue" in str(message.body)
    for name in ("event_public", "event_programme", "event_calendar", "event_register"):
        gone = client.get(reverse(name, kwargs=_kwargs(event)))
        assert gone.status_code == 410, name
        assert "Taken down" not in gone.content.decode()
    assert client.get(own_page).status_code == 410
    assert "Taken down" not in client.get(reverse("events_public")).content.decode()
    assert "Taken down" not in client.get(reverse("events_feed")).content.decode()
    assert json.loads(client.get("/api/events").content) == []
    assert client.get(f"/api/events/north/{event.slug}").status_code == 410
    registering = client.post(
        f"/api/events/north/{event.slug}/registrations",
        json.dumps({"name": "Bo", "email": "bo@example.org"}),
        content_type="application/json",
    )
    assert registering.status_code == 410
    assert AuditEvent.unscoped.filter(action="event.withdraw", object_id=str(event.pk)).exists()
    # The owner keeps it all, and it no longer changes.
    staff = client_for(adam)
    detail = staff.get(reverse("event_detail", kwargs={"org": "north", "event_id": event.pk}))
    assert "Threats against the venue" in detail.content.decode()
    assert Registration.objects.filter(event=event).count() == 1
    with pytest.raises(ValidationError):
        actions.update_event(actor=adam, event=event, changes={"title": "Back"})


def test_the_owner_confirms_before_the_event_is_withdrawn(adam: User, north: Organisation) -> None:
    event = published_event(north, adam, title="Doubtful")
    _registered(event)
    staff = client_for(adam)
    path = reverse("event_move", kwargs={"org": "north", "event_id": event.pk})
    asked = staff.post(path, {"move": "withdraw", "reason": "Venue unsafe"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Withdraw “Doubtful”?" in page
    assert "The 1 person registered or waiting is told by e-mail" in page
    event.refresh_from_db()
    assert event.status == "published"
    done = staff.post(path, {"move": "withdraw", "reason": "Venue unsafe", "confirm": "yes"})
    assert done.status_code == 302
    event.refresh_from_db()
    assert (event.status, event.withdrawal_reason) == ("withdrawn", "Venue unsafe")
    assert event.withdrawn_at is not None

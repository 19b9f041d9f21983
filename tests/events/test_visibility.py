"""Who sees an event: an invitation-only one stays off the listing, the feed and the API
listing, and its venue reaches its registrants only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events import actions, tasks
from haven.events.models import Event
from haven.organisations.models import Organisation
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

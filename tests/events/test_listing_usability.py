"""The public events pages as people use them: menus of the countries and languages in use,
past events said to be past, time zones as people read them, calendars named in their
language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.events import actions, public_views
from haven.events.models import Event
from haven.organisations.models import Organisation
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


def _page(path: str, language: str = "en") -> str:
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def _select(page: str, element_id: str) -> str:
    found = re.search(rf'<select id="{element_id}" name="[^"]+">(.*?)</select>', page, re.S)
    assert found is not None, element_id
    return found.group(1)


def test_the_filters_offer_the_countries_and_languages_of_the_events_by_name(
    north: Organisation, adam: User
) -> None:
    published_event(north, adam, title="In Berlin", country="DE", languages=["de", "en"])
    published_event(north, adam, title="In Nairobi", country="KE", languages=["sw"])
    page = _page(reverse("events_public"), "fr")
    countries = _select(page, "country")
    assert '<option value="DE">Allemagne</option>' in countries
    assert '<option value="KE">Kenya</option>' in countries
    assert 'value="FR"' not in countries
    languages = _select(page, "event-language")
    assert re.findall(r'<option value="([a-z]*)"', languages) == ["", "de", "en", "sw"]
    assert '<option value="de">Allemand</option>' in languages
    assert "deux lettres" not in page
    assert "(two letters)" not in _page(reverse("events_public"))
    chosen = _page(reverse("events_public") + "?country=KE&language=sw")
    assert '<option value="KE" selected>Kenya</option>' in chosen
    assert "In Nairobi" in chosen
    assert "In Berlin" not in chosen


def test_an_event_interpreted_into_a_language_is_found_by_it_on_the_page_and_in_the_api(
    north: Organisation, adam: User
) -> None:
    published_event(north, adam, title="Heard in German", languages=["en"], interpretation=["de"])
    published_event(north, adam, title="English only", languages=["en"])
    page = _page(reverse("events_public") + "?language=de")
    assert "Heard in German" in page
    assert "English only" not in page
    assert 'value="de"' in _select(_page(reverse("events_public")), "event-language")
    found = Client().get("/api/events", {"language": "de"}).json()
    assert [event["title"] for event in found] == ["Heard in German"]


def _past(event: Event) -> Event:
    start = timezone.now() - timedelta(days=3)
    Event.objects.filter(pk=event.pk).update(starts_at=start, ends_at=start + timedelta(hours=2))
    event.refresh_from_db()
    return event


def test_a_past_event_says_it_took_place_and_offers_no_calendar(
    north: Organisation, adam: User
) -> None:
    event = _past(published_event(north, adam, title="Last week"))
    kwargs = {"org": "north", "event": event.slug}
    page = _page(reverse("event_public", kwargs=kwargs))
    assert "This event has taken place." in page
    assert "Add to your calendar" not in page
    assert "Google Calendar" not in page
    programme = _page(reverse("event_programme", kwargs=kwargs))
    assert "This event has taken place." in programme
    assert "not published yet" not in programme
    upcoming = published_event(north, adam, title="Next week")
    later = _page(reverse("event_public", kwargs={"org": "north", "event": upcoming.slug}))
    assert "Add to your calendar" in later
    assert "This event has taken place." not in later


def test_times_name_the_zone_as_people_read_it_with_its_iana_name_as_title(
    north: Organisation, adam: User
) -> None:
    event = published_event(north, adam, title="In New York", timezone="America/New_York")
    Event.objects.filter(pk=event.pk).update(
        starts_at=datetime(2027, 1, 12, 23, tzinfo=UTC),
        ends_at=datetime(2027, 1, 13, 1, tzinfo=UTC),
    )
    zone = '<span class="event-zone" title="America/New_York">EST, UTC\u22125</span>'
    page = _page(reverse("event_public", kwargs={"org": "north", "event": event.slug}))
    assert f"({zone})" in page
    assert "(America/New_York)" not in page
    assert '<time datetime="2027-01-12T18:00:00-05:00">' in page
    listing = _page(reverse("events_public"))
    assert f"({zone})" in listing


def test_calendars_are_named_in_the_reader_s_language(
    north: Organisation, adam: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = published_event(north, adam, title="Evening debate")
    actions.set_text(actor=adam, event=event, language="fr", title="Débat du soir")
    single = Client().get(
        reverse("event_calendar", kwargs={"org": "north", "event": event.slug}),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "X-WR-CALNAME:Débat du soir" in single.content.decode()
    monkeypatch.setattr(public_views, "_", lambda text: f"«{text}»")
    feed = Client().get(reverse("events_feed")).content.decode()
    assert "X-WR-CALNAME:«Haven events»" in feed

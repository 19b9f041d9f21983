"""Events take place from 2000 to ten years ahead: a date at the calendar's edge is refused
by the API and the forms, and one already saved never takes a page down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.events import actions
from haven.events.models import Event
from haven.organisations.models import Organisation
from tests.conftest import bearer, client_for
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")

EDGES = [
    ("0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"),
    ("9999-12-31T20:00:00Z", "9999-12-31T23:00:00Z"),
    ("1999-12-31T10:00:00Z", "1999-12-31T12:00:00Z"),
]


def _post(path: str, body: dict[str, Any], user: User) -> Any:
    return Client().post(path, json.dumps(body), content_type="application/json", **bearer(user))


@pytest.mark.parametrize(("starts", "ends"), EDGES)
def test_the_api_refuses_an_event_outside_the_range_and_saves_nothing(
    adam: User, north: Organisation, starts: str, ends: str
) -> None:
    body = {
        "language": "en",
        "title": "Edge",
        "starts_at": starts,
        "ends_at": ends,
        "timezone": "Pacific/Kiritimati",
    }
    response = _post("/api/orgs/north/events", body, adam)
    assert response.status_code == 400
    detail = json.loads(response.content)["detail"]
    assert "from 1 January 2000 to" in detail["starts_at"][0]
    assert not Event.objects.exists()


def test_the_api_refuses_a_change_to_a_date_outside_the_range(
    adam: User, north: Organisation
) -> None:
    event = published_event(north, adam)
    response = Client().patch(
        f"/api/orgs/north/events/{event.pk}",
        json.dumps({"registration_closes_at": "0001-01-01T00:00:00Z"}),
        content_type="application/json",
        **bearer(adam),
    )
    assert response.status_code == 400
    assert "registration_closes_at" in json.loads(response.content)["detail"]
    event.refresh_from_db()
    assert event.registration_closes_at is None


def test_ten_years_ahead_is_the_last_accepted(adam: User, north: Organisation) -> None:
    start = timezone.now() + timedelta(days=3650)
    event = actions.create_event(
        actor=adam,
        owner=north,
        title="Far ahead",
        language="en",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    assert event.pk is not None
    later = timezone.now() + timedelta(days=366 * 10 + 2)
    with pytest.raises(Exception, match="2000"):
        actions.create_event(
            actor=adam,
            owner=north,
            title="Too far",
            language="en",
            starts_at=later,
            ends_at=later + timedelta(hours=1),
        )


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_the_form_says_the_range_for_a_date_at_the_calendar_s_edge(
    adam: User, north: Organisation, year: str
) -> None:
    form = {
        "language": "en",
        "kind": "conference",
        "title": "Edge",
        "timezone": "Pacific/Kiritimati" if year == "0001" else "America/New_York",
        "starts_at": f"{year}-01-01T00:00" if year == "0001" else f"{year}-12-31T20:00",
        "ends_at": f"{year}-01-01T01:00" if year == "0001" else f"{year}-12-31T23:00",
        "visibility": "public",
        "in_person": "on",
        "registration_open": "on",
        "offer_hours": "48",
        "group_size": "1",
        "anonymise_after_days": "90",
    }
    response = client_for(adam).post(reverse("event_create", kwargs={"org": "north"}), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give a date and time from 1 January 2000 to" in page
    assert not Event.objects.exists()


def test_an_event_saved_at_the_calendar_s_edge_takes_no_page_down(
    adam: User, north: Organisation
) -> None:
    good = published_event(north, adam, title="Good one")
    bad = published_event(north, adam, title="Bad one", timezone="Pacific/Kiritimati")
    old = published_event(north, adam, title="Old one", timezone="America/New_York")
    # As saved before the actions refused such dates.
    with scopes_disabled():
        Event.objects.filter(pk=bad.pk).update(
            starts_at=datetime(9999, 12, 31, 20, tzinfo=UTC),
            ends_at=datetime(9999, 12, 31, 23, tzinfo=UTC),
            registration_closes_at=datetime(9999, 12, 31, 21, tzinfo=UTC),
        )
        Event.objects.filter(pk=old.pk).update(
            starts_at=datetime(1, 1, 1, tzinfo=UTC), ends_at=datetime(1, 1, 1, 1, tzinfo=UTC)
        )
    public = Client()
    kwargs = {"org": "north", "event": bad.slug}
    for path in (
        reverse("events_public"),
        reverse("events_public") + "?when=past",
        reverse("events_feed"),
        reverse("event_public", kwargs=kwargs),
        reverse("event_programme", kwargs=kwargs),
        reverse("event_calendar", kwargs=kwargs),
        reverse("event_register", kwargs=kwargs),
        reverse("event_public", kwargs={"org": "north", "event": old.slug}),
        reverse("event_calendar", kwargs={"org": "north", "event": old.slug}),
    ):
        assert public.get(path).status_code == 200, path
    assert "Good one" in public.get(reverse("events_public")).content.decode()
    assert "Old one" in public.get(reverse("events_public") + "?when=past").content.decode()
    staff = client_for(adam)
    for path in (
        reverse("event_list", kwargs={"org": "north"}),
        reverse("event_detail", kwargs={"org": "north", "event_id": bad.pk}),
        reverse("event_edit", kwargs={"org": "north", "event_id": bad.pk}),
    ):
        assert staff.get(path).status_code == 200, path
    assert good.pk != bad.pk

"""An event's times sent to the API without an offset are read as its forms read them: in
the event's time zone, which is its organisation's unless the owner chose another."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.casework.models import OrganisationSettings
from haven.events import actions
from haven.events.models import Event, Session
from haven.organisations.models import Organisation
from haven.timezones import forget_zone_of
from tests.conftest import bearer

pytestmark = pytest.mark.usefixtures("unscoped")


def _send(method: str, path: str, body: dict[str, Any], user: User) -> Any:
    return getattr(Client(), method)(
        path, json.dumps(body), content_type="application/json", **bearer(user)
    )


@pytest.fixture
def in_kolkata(north: Organisation) -> Organisation:
    """North works in Kolkata (UTC+5:30 all year)."""
    OrganisationSettings.objects.create(organisation=north, time_zone="Asia/Kolkata")
    forget_zone_of(north.slug)
    return north


def test_a_new_event_without_a_zone_is_in_its_organisations_and_its_times_read_there(
    adam: User, in_kolkata: Organisation
) -> None:
    body = {
        "language": "en",
        "title": "Evening debate",
        "starts_at": "2030-05-01T18:00:00",
        "ends_at": "2030-05-01T20:00:00",
        "registration_closes_at": "2030-05-01T12:00",
    }
    response = _send("post", "/api/orgs/north/events", body, adam)
    assert response.status_code == 201, response.content
    event = Event.objects.get()
    assert event.timezone == "Asia/Kolkata"
    assert event.starts_at == datetime(2030, 5, 1, 12, 30, tzinfo=UTC)
    assert event.ends_at == datetime(2030, 5, 1, 14, 30, tzinfo=UTC)
    assert event.registration_closes_at == datetime(2030, 5, 1, 6, 30, tzinfo=UTC)


def test_times_without_offset_are_read_in_the_zone_the_event_names(
    adam: User, in_kolkata: Organisation
) -> None:
    body = {
        "language": "en",
        "title": "Conference",
        # The zone comes after the times: it is read first all the same.
        "starts_at": "2030-05-01T09:00:00",
        "ends_at": "2030-05-01T17:00:00",
        "timezone": "America/Bogota",
    }
    response = _send("post", "/api/orgs/north/events", body, adam)
    assert response.status_code == 201, response.content
    event = Event.objects.get()
    assert event.starts_at == datetime(2030, 5, 1, 14, tzinfo=UTC)
    base = f"/api/orgs/north/events/{event.pk}"
    patched = _send("patch", base, {"ends_at": "2030-05-01T18:00:00"}, adam)
    assert patched.status_code == 200, patched.content
    event.refresh_from_db()
    assert event.ends_at == datetime(2030, 5, 1, 23, tzinfo=UTC)
    # A new zone with new wall-clock times: the times are read in the new zone.
    moved = _send(
        "patch",
        base,
        {"starts_at": "2030-05-01T10:00", "ends_at": "2030-05-01T12:00", "timezone": "UTC"},
        adam,
    )
    assert moved.status_code == 200, moved.content
    event.refresh_from_db()
    assert (event.timezone, event.starts_at) == ("UTC", datetime(2030, 5, 1, 10, tzinfo=UTC))
    # With its offset, a time means what it says.
    offset = _send("patch", base, {"ends_at": "2030-05-01T12:00:00+02:00"}, adam)
    assert offset.status_code == 200, offset.content
    event.refresh_from_db()
    assert event.ends_at == datetime(2030, 5, 1, 10, tzinfo=UTC)


def test_a_session_without_offset_is_read_in_the_events_zone(
    adam: User, north: Organisation
) -> None:
    event = actions.create_event(
        actor=adam,
        owner=north,
        title="Conference",
        language="en",
        starts_at=datetime(2030, 5, 1, 3, 30, tzinfo=UTC),
        ends_at=datetime(2030, 5, 1, 12, 30, tzinfo=UTC),
        values={"timezone": "Asia/Kolkata"},
    )
    base = f"/api/orgs/north/events/{event.pk}/sessions"
    body = {"title": "Opening", "starts_at": "2030-05-01T09:00", "ends_at": "2030-05-01T10:00"}
    created = _send("post", base, body, adam)
    assert created.status_code == 201, created.content
    session = Session.objects.get()
    assert session.starts_at == datetime(2030, 5, 1, 3, 30, tzinfo=UTC)
    changed = _send("put", f"{base}/{session.pk}", {**body, "ends_at": "2030-05-01T18:00"}, adam)
    assert changed.status_code == 200, changed.content
    session.refresh_from_db()
    assert session.ends_at == datetime(2030, 5, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "starts", "ends"),
    [
        ("Pacific/Kiritimati", "0001-01-01T00:00:00", "0001-01-01T01:00:00"),
        ("America/New_York", "9999-12-31T20:00:00", "9999-12-31T23:00:00"),
        ("UTC", "1999-12-31T10:00:00", "1999-12-31T12:00:00"),
    ],
)
def test_a_time_without_offset_at_the_calendars_edge_is_refused_and_saves_nothing(
    adam: User, north: Organisation, zone: str, starts: str, ends: str
) -> None:
    body = {"language": "en", "title": "Edge", "starts_at": starts, "ends_at": ends}
    response = _send("post", "/api/orgs/north/events", {**body, "timezone": zone}, adam)
    assert response.status_code == 400, response.content
    assert "from 1 January 2000 to" in json.loads(response.content)["detail"]["starts_at"][0]
    assert not Event.objects.exists()

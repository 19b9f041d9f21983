"""The time a door phone says it scanned a ticket: kept when it can be true, else now.

Through the API and the door page alike, a time without a zone is the event's wall-clock
time (the door shows its times in the event's zone), and a time from the future or from
before the door could open for the event (year 1, 1970) is replaced by the moment the
server hears of it: never a 500, never a check-in dated 1970.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import CheckInAttempt, Event, Registration
from haven.organisations.models import Organisation
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def dora(north: Organisation) -> User:
    return make_user("dora", north, Role.DOOR_STAFF, mfa=False)


@pytest.fixture
def event(north: Organisation) -> Event:
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)
    return published_event(north, officer, capacity=10, title="Evening debate")


def _ticket(event: Event, name: str) -> tuple[str, Registration]:
    registered = actions.register(event=event, name=name, email=f"{name.lower()}@example.org")
    assert registered.booker is not None
    return access.ticket_code(registered.booker), registered.booker


def _api(dora: User, event: Event, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = Client().post(
        f"/api/orgs/north/events/{event.pk}/check-ins",
        {"check_ins": items},
        content_type="application/json",
        **bearer(dora),
    )
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def _page(dora: User, event: Event, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client_for(dora).post(
        reverse("event_door_check_in", kwargs={"org": "north", "event_id": event.pk}),
        {"items": items},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_the_api_reads_a_time_without_zone_in_the_events_zone_as_the_door_page_does(
    dora: User, event: Event
) -> None:
    earlier = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    # The event is in Paris, an hour or two from UTC: read as UTC, the scan would be refused
    # as from the future, or dated hours off.
    naive = earlier.astimezone(ZoneInfo(event.timezone)).replace(tzinfo=None).isoformat()
    code, row = _ticket(event, "Ana")
    other_code, other = _ticket(event, "Ben")
    assert _api(dora, event, [{"code": code, "offline": True, "scanned_at": naive}])[0]["admitted"]
    assert _page(dora, event, [{"code": other_code, "offline": True, "scanned_at": naive}])[0][
        "admitted"
    ]
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.checked_in_at == earlier
    assert other.checked_in_at == earlier


@pytest.mark.parametrize(
    "scanned_at",
    [
        "0001-01-01T00:30:00+01:00",
        "0001-01-01T00:00:00",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
    ],
)
@pytest.mark.parametrize("door", [_api, _page])
def test_an_impossible_scan_time_is_replaced_by_now(
    dora: User, event: Event, scanned_at: str, door: Any
) -> None:
    code, row = _ticket(event, "Ana")
    before = timezone.now()
    result = door(dora, event, [{"code": code, "offline": True, "scanned_at": scanned_at}])[0]
    assert result["admitted"]
    row.refresh_from_db()
    assert row.checked_in_at is not None
    assert before <= row.checked_in_at <= timezone.now()
    attempt = CheckInAttempt.objects.get(event=event)
    assert attempt.scanned_at == row.checked_in_at


def test_a_scan_from_before_the_door_opened_is_replaced_by_now(event: Event) -> None:
    now = timezone.now()
    opened = event.starts_at - timedelta(days=access.DOOR_DAYS_AHEAD)
    assert actions._scan_time(event, opened, now) == opened
    assert actions._scan_time(event, opened - timedelta(seconds=1), now) == now
    assert actions._scan_time(event, now + timedelta(seconds=1), now) == now
    assert actions._scan_time(event, datetime(1970, 1, 1, tzinfo=UTC), now) == now

"""The door page and the API take batches of check-ins of the same size, from one constant,
and the page's script sends its queue in batches of that size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

import haven
from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access
from haven.events.models import CheckInAttempt, Event
from haven.organisations.models import Organisation
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")

UNKNOWN = {"code": "0" * 32}


@pytest.fixture
def dora(north: Organisation) -> User:
    return make_user("dora", north, Role.DOOR_STAFF, mfa=False)


@pytest.fixture
def event(north: Organisation) -> Event:
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER)
    return published_event(north, officer)


def _page(dora: User, event: Event, count: int) -> Any:
    return client_for(dora).post(
        reverse("event_door_check_in", kwargs={"org": event.owner.slug, "event_id": event.pk}),
        data=json.dumps({"items": [UNKNOWN] * count}),
        content_type="application/json",
    )


def _api(dora: User, event: Event, count: int) -> Any:
    return Client().post(
        f"/api/orgs/{event.owner.slug}/events/{event.pk}/check-ins",
        json.dumps({"check_ins": [UNKNOWN] * count}),
        content_type="application/json",
        **bearer(dora),
    )


def test_the_page_and_the_api_take_the_same_largest_batch(dora: User, event: Event) -> None:
    for send in (_page, _api):
        response = send(dora, event, access.DOOR_BATCH)
        assert response.status_code == 200, (send, response.content)
        assert len(response.json()["results"]) == access.DOOR_BATCH
    assert CheckInAttempt.objects.filter(event=event).count() == 2 * access.DOOR_BATCH


def test_the_page_and_the_api_refuse_one_more_and_check_nobody_in(dora: User, event: Event) -> None:
    page = _page(dora, event, access.DOOR_BATCH + 1)
    assert page.status_code == 400
    assert page.json() == {"error": f"At most {access.DOOR_BATCH} check-ins at once."}
    api = _api(dora, event, access.DOOR_BATCH + 1)
    assert api.status_code == 400, api.content
    assert "check_ins" in api.json()["detail"]
    assert not CheckInAttempt.objects.filter(event=event).exists()


def test_the_door_script_sends_batches_of_the_size_the_page_gives_it(
    dora: User, event: Event
) -> None:
    page = client_for(dora).get(
        reverse("event_door", kwargs={"org": event.owner.slug, "event_id": event.pk})
    )
    assert f'data-batch="{access.DOOR_BATCH}"' in page.content.decode()
    script = (Path(haven.__file__).parent / "static" / "events" / "door.js").read_text()
    assert "queue.slice(0, batchSize)" in script
    assert "Number(root.dataset.batch)" in script

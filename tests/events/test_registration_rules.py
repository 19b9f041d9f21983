"""Registration rules found wanting by QA: throw-away addresses through the API, a code's
use given back, the places left said to a group too large, a group partly at the door."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import (
    Event,
    InvitationCode,
    Registration,
    RegistrationStatus,
)
from haven.events.public_forms import throwaway_refusal
from haven.organisations.models import Organisation
from tests.conftest import client_for, make_user
from tests.events.world import manage_url, published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


# --- 3. a throw-away address through the API ------------------------------------------------


def test_the_api_refuses_a_throw_away_address_as_the_web_form_does(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    response = Client().post(
        f"/api/events/north/{event.slug}/registrations",
        json.dumps({"name": "X", "email": "x@mailinator.com"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == {"email": [throwaway_refusal()]}
    assert not Registration.objects.exists()
    form = Client().post(
        reverse("event_register", kwargs={"org": "north", "event": event.slug}),
        {"name": "X", "email": "x@mailinator.com"},
    )
    assert form.status_code == 400
    assert throwaway_refusal() in form.content.decode()


# --- 4. an invitation code's use given back -------------------------------------------------


def _uses(code: InvitationCode) -> int:
    code.refresh_from_db()
    return code.uses


def test_cancelling_an_invitation_registration_gives_its_use_back(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, visibility="invitation", group_size=3)
    code = actions.create_invitation_code(actor=officer, event=event, uses_allowed=3)
    ana, bo, cy = actions.register(
        event=event, name="Ana", email="ana@example.org", companions=["Bo", "Cy"], code=code.code
    ).registrations
    assert _uses(code) == 3
    actions.cancel_registrations(event=event, registrations=[bo])
    assert _uses(code) == 1 + 1
    # Cancelled twice (an old page): the use is given back once.
    actions.cancel_registrations(event=event, registrations=[bo, ana, cy])
    assert _uses(code) == 0


def test_an_invitee_who_cancelled_by_mistake_registers_again_with_their_code(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, visibility="invitation")
    code = actions.create_invitation_code(actor=officer, event=event)
    first = actions.register(event=event, name="Ana", email="ana@example.org", code=code.code)
    actions.cancel_registrations(event=event, registrations=first.registrations)
    again = actions.register(event=event, name="Ana", email="ana@example.org", code=code.code)
    assert again.status == RegistrationStatus.CONFIRMED
    assert _uses(code) == 1
    with pytest.raises(ValidationError, match="used up"):
        actions.register(event=event, name="Bo", email="bo@example.org", code=code.code)


def test_an_offer_that_lapses_gives_its_code_use_back(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, visibility="invitation", capacity=1)
    code = actions.create_invitation_code(actor=officer, event=event, uses_allowed=2)
    ana = actions.register(event=event, name="Ana", email="ana@example.org", code=code.code)
    bo = actions.register(event=event, name="Bo", email="bo@example.org", code=code.code)
    assert bo.status == RegistrationStatus.WAITING
    actions.cancel_registrations(event=event, registrations=ana.registrations)
    assert _uses(code) == 1
    later = timezone.now() + timedelta(hours=event.offer_hours + 1)
    assert actions.expire_offers(later) == 1
    assert _uses(code) == 0


# --- 5. a group larger than the places left -------------------------------------------------


def test_a_group_larger_than_the_places_left_is_told_how_many_are_left(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=3, waiting_list=False, group_size=3)
    actions.register(event=event, name="Ana", email="ana@example.org")
    with pytest.raises(ValidationError) as refused:
        actions.register(event=event, name="Bo", email="bo@example.org", companions=["Cy", "Di"])
    assert refused.value.messages == ["Only 2 places are left: register fewer people."]
    actions.register(event=event, name="Bo", email="bo@example.org", companions=["Cy"])
    with pytest.raises(ValidationError) as full:
        actions.register(event=event, name="Ed", email="ed@example.org")
    assert full.value.messages == ["The event is full."]
    event.refresh_from_db()
    assert event.places_taken == access.places_held(event) == 3


def test_one_place_left_is_said_in_the_singular(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=2, waiting_list=False, group_size=2)
    actions.register(event=event, name="Ana", email="ana@example.org")
    with pytest.raises(ValidationError, match=r"Only 1 place is left: register fewer people\."):
        actions.register(event=event, name="Bo", email="bo@example.org", companions=["Cy"])


# --- 6. a group partly checked in -----------------------------------------------------------


def _group_with_booker_inside(north: Organisation, officer: User) -> tuple[Event, list[Any]]:
    event = published_event(north, officer, group_size=3)
    rows = actions.register(
        event=event, name="Ana", email="ana@example.org", companions=["Bo", "Cy"]
    ).registrations
    door = make_user("dora", north, Role.DOOR_STAFF, mfa=False)
    assert actions.check_in(actor=door, event=event, registration=rows[0]).admitted
    for row in rows:
        row.refresh_from_db()
    return event, rows


def test_cancel_for_everyone_cancels_those_who_did_not_come_in(
    client: Client, officer: User, north: Organisation
) -> None:
    _event, (ana, _bo, _cy) = _group_with_booker_inside(north, officer)
    manage = manage_url(ana)
    page = client.get(manage).content.decode()
    assert "Cancel for everyone" in page
    assert "Cancel for Ana" not in page
    asked = client.post(manage, {"action": "cancel"}).content.decode()
    assert "<li>Bo</li>" in asked
    assert "<li>Cy</li>" in asked
    assert "<li>Ana</li>" not in asked
    done = client.post(manage, {"action": "cancel", "confirm": "yes"})
    assert done.status_code == 302
    statuses = {row.name: row.status for row in access.group_of(ana)}
    assert statuses == {"Ana": "confirmed", "Bo": "cancelled", "Cy": "cancelled"}
    # Nobody is left to cancel: no button.
    page = client.get(manage).content.decode()
    assert "Cannot come?" not in page
    assert "Cancel my registration" not in page


def test_cancelling_only_someone_who_came_in_is_still_refused(
    officer: User, north: Organisation
) -> None:
    event, (ana, bo, _cy) = _group_with_booker_inside(north, officer)
    with pytest.raises(ValidationError, match="came in"):
        actions.cancel_registrations(event=event, registrations=[ana])
    assert actions.cancel_registrations(event=event, registrations=[ana, bo]) == 1
    ana.refresh_from_db()
    assert ana.status == RegistrationStatus.CONFIRMED


def test_a_check_in_after_the_page_was_read_is_not_cancelled(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    [ana] = actions.register(event=event, name="Ana", email="ana@example.org").registrations
    Registration.objects.filter(pk=ana.pk).update(checked_in_at=timezone.now())
    # ``ana`` as read before the door admitted her.
    assert actions.cancel_registrations(event=event, registrations=[ana]) == 0
    ana.refresh_from_db()
    assert ana.status == RegistrationStatus.CONFIRMED


# --- 7. long names --------------------------------------------------------------------------


def test_long_names_break_on_the_door_page_and_the_registrant_s_page(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2)
    name = "A" * 150
    [ana, _bo] = actions.register(
        event=event, name=name, email="ana@example.org", companions=["B" * 150]
    ).registrations
    page = client.get(manage_url(ana)).content.decode()
    assert '<section class="narrow card wrap-anywhere"' in page
    dora = make_user("dora", north, Role.DOOR_STAFF, mfa=False)
    door = client_for(dora).get(
        reverse("event_door", kwargs={"org": "north", "event_id": event.pk}), {"q": "aaa"}
    )
    text = door.content.decode()
    assert name in text
    assert '<ul class="door-results wrap-anywhere">' in text
    assert 'class="door-registrant wrap-anywhere"' in text


# --- a group waiting while a place is free ---------------------------------------------------


def test_a_place_a_waiting_group_could_not_fill_goes_to_the_waiting_list_not_to_a_latecomer(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, capacity=2, waiting_list=True, group_size=3)
    first = actions.register(event=event, name="First", email="first@example.org")
    assert first.status == RegistrationStatus.CONFIRMED
    group = actions.register(event=event, name="Gina", email="gina@example.org", companions=["Gus"])
    assert group.status == RegistrationStatus.WAITING
    booker, companion = group.registrations
    # The one free place is offered at once to the first person waiting: the group's booker.
    assert booker.status == RegistrationStatus.OFFERED
    assert companion.status == RegistrationStatus.WAITING
    late = actions.register(event=event, name="Late", email="late@example.org")
    assert late.status == RegistrationStatus.WAITING, "no place left to jump the queue with"
    event.refresh_from_db()
    assert event.places_taken == 2

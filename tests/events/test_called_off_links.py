"""A personal link revoked on an event called off (cancelled or withdrawn) stops working,
and nobody is sent a new ticket or joining link for an event that will not take place:
through the action, the registration page and the API alike."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions, tasks
from haven.events.models import Event, Registration, RegistrationStatus
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")

CALLED_OFF = ("cancel", "withdraw")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)


def _registered_then_called_off(officer: User, north: Organisation, move: str) -> Registration:
    """Ana registered for an event held in person and online, was sent her ticket and
    link, and the event was then called off."""
    event = published_event(north, officer, online=True)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    tasks.send_notices.call()
    assert len(mail.outbox) == 1
    actions.move_event(actor=officer, event=event, move=move, reason="The venue closed")
    mail.outbox.clear()
    booker.refresh_from_db()
    booker.event = Event.objects.select_related("owner").get(pk=event.pk)
    return booker


def _revoked_without_a_word(before: Registration, old_ticket: str, old_join: str) -> None:
    after = Registration.objects.get(pk=before.pk)
    after.event = before.event
    assert after.link_revoked_at is not None
    assert access.registration_from_join_token(after.event, old_join) is None
    assert access.ticket_code(after) != old_ticket
    tasks.send_notices.call()
    assert not mail.outbox


@pytest.mark.parametrize("move", CALLED_OFF)
def test_revoking_on_an_event_called_off_sends_nothing(
    officer: User, north: Organisation, move: str
) -> None:
    booker = _registered_then_called_off(officer, north, move)
    old_ticket, old_join = access.ticket_code(booker), access.join_token(booker)
    actions.revoke_link(actor=officer, registration=booker)
    _revoked_without_a_word(booker, old_ticket, old_join)
    entry = AuditEvent.objects.get(action="event.registration_link_revoked")
    assert entry.details == {"registration": str(booker.pk), "sent": False}


@pytest.mark.parametrize("move", CALLED_OFF)
def test_the_registration_page_revokes_and_says_nothing_was_sent(
    officer: User, north: Organisation, move: str
) -> None:
    booker = _registered_then_called_off(officer, north, move)
    old_ticket, old_join = access.ticket_code(booker), access.join_token(booker)
    staff = client_for(officer)
    page = reverse(
        "event_registration_detail",
        kwargs={"org": north.slug, "event_id": booker.event_id, "registration_id": booker.pk},
    )
    before = staff.get(page).content.decode()
    assert "and send new ones" not in before
    assert "the event will not take place: nothing is sent" in before
    answer = staff.post(page, {"action": "revoke_link"}, follow=True).content.decode()
    assert "The event will not take place: nothing was sent." in answer
    assert "a new one is on its way" not in answer
    _revoked_without_a_word(booker, old_ticket, old_join)


def test_the_api_revokes_on_a_cancelled_event_and_sends_nothing(
    officer: User, north: Organisation
) -> None:
    booker = _registered_then_called_off(officer, north, "cancel")
    old_ticket, old_join = access.ticket_code(booker), access.join_token(booker)
    path = (
        f"/api/orgs/{north.slug}/events/{booker.event_id}/registrations/{booker.pk}/link-revocation"
    )
    response = Client().post(path, "{}", content_type="application/json", **bearer(officer))
    assert response.status_code == 200
    assert response.json()["link_revoked_at"] is not None
    _revoked_without_a_word(booker, old_ticket, old_join)


def test_revoking_on_an_event_that_is_on_still_sends_the_new_ticket(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    tasks.send_notices.call()
    mail.outbox.clear()
    actions.revoke_link(actor=officer, registration=booker)
    tasks.send_notices.call()
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    assert "confirmed" in str(message.body)


def test_a_confirmation_still_queued_when_the_event_is_called_off_is_not_sent(
    officer: User, north: Organisation
) -> None:
    # Ana registers, and the event is cancelled before the dispatcher ran: she hears that
    # it is cancelled (its own e-mail), not that her place is confirmed.
    event = published_event(north, officer, capacity=1)
    actions.register(event=event, name="Ana", email="ana@example.org")
    actions.register(event=event, name="Bo", email="bo@example.org")
    actions.move_event(actor=officer, event=event, move="cancel", reason="The venue closed")
    assert tasks.send_notices.call() == 0
    assert not mail.outbox
    pending: Any = Registration.objects.filter(event=event).values_list("status", "notified_status")
    assert sorted(pending) == [
        (RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED),
        (RegistrationStatus.WAITING, RegistrationStatus.WAITING),
    ]

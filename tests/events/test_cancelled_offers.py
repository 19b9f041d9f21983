"""A place offered from the waiting list cannot be taken once the event is called off.

Cancelling (or withdrawing) the event puts the people offered a place back on the waiting
list and gives the places back; the personal page shows no offer, and accepting one, by an
old form or a race, is refused with a clear message: no confirmation, no ticket e-mailed.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions, tasks
from haven.events.models import Event, EventStatus, Registration, RegistrationStatus
from haven.organisations.models import Organisation
from tests.conftest import make_user
from tests.events.world import manage_url, published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


def _offered(north: Organisation, officer: User) -> tuple[Event, Registration]:
    """A full event whose one place is offered to Bo, who waited (every e-mail sent)."""
    event = published_event(north, officer, capacity=1)
    ana = actions.register(event=event, name="Ana", email="ana@example.org").registrations
    bo = actions.register(event=event, name="Bo", email="bo@example.org").registrations[0]
    actions.cancel_registrations(event=event, registrations=ana)
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.OFFERED
    tasks.send_notices.call()
    mail.outbox.clear()
    return event, bo


def test_cancelling_the_event_ends_the_offers_and_the_page_offers_nothing(
    client: Client, officer: User, north: Organisation
) -> None:
    event, bo = _offered(north, officer)
    manage = manage_url(bo)
    assert "Accept the place" in client.get(manage).content.decode()
    actions.move_event(actor=officer, event=event, move="cancel", reason="The hall burnt down")
    bo.refresh_from_db()
    assert (bo.status, bo.offer_expires_at) == (RegistrationStatus.WAITING, None)
    event.refresh_from_db()
    assert event.places_taken == access.places_held(event) == 0
    page = client.get(manage).content.decode()
    assert "This event is cancelled." in page
    assert "Accept the place" not in page
    # An accept posted from the page as it was: refused, saying why.
    refused = client.post(manage, {"action": "accept", "member": str(bo.pk)})
    assert refused.status_code == 400
    assert "This event will not take place" in refused.content.decode()
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.WAITING
    # Bo hears of the cancellation once, as everyone registered does, and gets no ticket.
    tasks.send_event_cancelled.call(event.pk)
    tasks.send_notices.call()
    to_bo = [message for message in mail.outbox if message.to == ["bo@example.org"]]
    assert len(to_bo) == 1
    assert "The hall burnt down" in str(to_bo[0].body)
    assert not to_bo[0].attachments or all(
        kind != "image/png" for _name, _content, kind in to_bo[0].attachments
    )


def test_an_offer_is_refused_once_the_event_is_called_off_however_the_two_race(
    officer: User, north: Organisation
) -> None:
    event, bo = _offered(north, officer)
    # The event called off under the offer, as a concurrent cancellation would leave it
    # between the registrant's page and their click.
    Event.objects.filter(pk=event.pk).update(status=EventStatus.CANCELLED)
    with pytest.raises(ValidationError, match="will not take place"):
        actions.accept_offer(registration=bo)
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.OFFERED


def test_withdrawing_a_published_event_ends_its_offers_too(
    officer: User, north: Organisation
) -> None:
    event, bo = _offered(north, officer)
    actions.move_event(actor=officer, event=event, move="withdraw", reason="Mistake")
    bo.refresh_from_db()
    assert bo.status == RegistrationStatus.WAITING
    event.refresh_from_db()
    assert event.places_taken == access.places_held(event) == 0

"""The e-mails to registrants: each status, the event's changes, the reminder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import actions, tasks
from haven.events.models import Event, Registration, RegistrationStatus
from haven.organisations.models import Organisation
from tests.conftest import make_user
from tests.events.world import published_event
from tests.letters.conftest import html_part

pytestmark = pytest.mark.usefixtures("unscoped")


def officer_of(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


def only_to(address: str) -> Any:
    [message] = [message for message in mail.outbox if message.to == [address]]
    return message


def sent_now() -> None:
    mail.outbox.clear()
    tasks.send_notices.call()


def test_the_online_confirmation_has_each_joining_link_and_the_details(
    north: Organisation,
) -> None:
    officer = officer_of(north)
    event = published_event(north, officer, in_person=False, online=True, group_size=2)
    actions.set_secret(
        actor=officer,
        event=event,
        meeting_url="https://meet.example.net/room",
        joining_details="PIN 77",
    )
    actions.register(event=event, name="Ana", email="ana@example.org", companions=["Bo"])
    sent_now()
    message = only_to("ana@example.org")
    body, html = str(message.body), html_part(message)
    assert body.count("/join/") == 2
    assert html.count("/join/") >= 2
    assert "PIN 77" in body
    assert "PIN 77" in html
    assert "calendar.google.com" in body
    assert "/r/" in body
    assert [name for name, _c, _t in message.attachments] == ["event.ics"]


def test_the_in_person_confirmation_says_tickets_are_attached(north: Organisation) -> None:
    event = published_event(north, officer_of(north))
    actions.register(event=event, name="Ana", email="ana@example.org")
    sent_now()
    message = only_to("ana@example.org")
    assert "tickets" in str(message.body).lower()
    assert "event.ics" in str(message.body)
    assert "You are registered" in message.subject


def test_waiting_offered_and_expired(north: Organisation) -> None:
    event = published_event(north, officer_of(north), capacity=1, offer_hours=24)
    first = actions.register(event=event, name="Ana", email="ana@example.org").booker
    actions.register(event=event, name="Bo", email="bo@example.org")
    sent_now()
    assert "waiting list" in only_to("bo@example.org").subject.lower()
    assert first is not None
    actions.cancel_registrations(event=event, registrations=[first])
    sent_now()
    assert "cancelled" in only_to("ana@example.org").subject.lower()
    offer = only_to("bo@example.org")
    assert "/r/" in str(offer.body)
    assert "Accept it before" in str(offer.body)
    assert "Accept the place" in html_part(offer)
    actions.expire_offers(event.ends_at + timedelta(days=1))
    sent_now()
    assert "expired" in only_to("bo@example.org").subject.lower()


def _with_one_registrant(north: Organisation) -> Event:
    event = published_event(north, officer_of(north))
    actions.register(event=event, name="Ana", email="ana@example.org")
    sent_now()
    return event


def test_changes_cancellation_and_reminder(north: Organisation) -> None:
    event = _with_one_registrant(north)
    mail.outbox.clear()
    assert tasks.send_event_update.call(event.pk, ["starts_at"]) == 1
    assert "Changed" in only_to("ana@example.org").subject
    mail.outbox.clear()
    assert tasks.send_reminders(event.starts_at - timedelta(hours=12)) == 1
    reminder = only_to("ana@example.org")
    assert "Reminder" in reminder.subject
    assert "/r/" in str(reminder.body)
    Event.objects.filter(pk=event.pk).update(status="cancelled", cancel_reason="Storm warning")
    mail.outbox.clear()
    assert tasks.send_event_cancelled.call(event.pk) == 1
    cancelled = only_to("ana@example.org")
    assert "Storm warning" in str(cancelled.body)
    assert "Storm warning" in html_part(cancelled)
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED


def test_the_confirmation_speaks_of_one_ticket_or_of_several(north: Organisation) -> None:
    event = published_event(north, officer_of(north), group_size=2)
    actions.register(event=event, name="Ana", email="ana@example.org")
    actions.register(event=event, name="Bo", email="bo@example.org", companions=["Cy"])
    sent_now()
    alone, together = only_to("ana@example.org"), only_to("bo@example.org")
    for text in (str(alone.body), html_part(alone)):
        assert "Your ticket (QR code) is attached" in text
        assert "QR codes" not in text
    for text in (str(together.body), html_part(together)):
        assert "Your tickets (QR codes) are attached" in text

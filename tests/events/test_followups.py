"""What registrants hear and are offered once things move: a group whose booker cancelled
only their own place, offers near the end of an event, reminders of a moved event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import actions, exports, tasks
from haven.events.content import local_time
from haven.events.exports import REGISTRANT_COLUMNS
from haven.events.models import Event, Registration, RegistrationStatus, Session
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


def to(address: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [address]]


def _booker_gone_companion_stays(event: Event) -> Registration:
    """Ana registers with Bo, then cancels her own place only (her page's "Cancel for Ana")."""
    registered = actions.register(
        event=event, name="Ana", email="ana@example.org", companions=["Bo"]
    )
    booker = registered.booker
    assert booker is not None
    actions.cancel_registrations(event=event, registrations=[booker])
    statuses = dict(Registration.objects.filter(event=event).values_list("booker", "status"))
    assert statuses == {True: RegistrationStatus.CANCELLED, False: RegistrationStatus.CONFIRMED}
    mail.outbox.clear()
    return booker


def test_the_people_a_booker_brought_hear_that_the_event_is_cancelled(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2)
    _booker_gone_companion_stays(event)
    Event.objects.filter(pk=event.pk).update(status="cancelled", cancel_reason="Storm warning")
    assert tasks.send_event_cancelled.call(event.pk) == 1
    [message] = to("ana@example.org")
    assert "Storm warning" in str(message.body)


def test_the_people_a_booker_brought_hear_of_a_change_and_are_reminded(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2)
    _booker_gone_companion_stays(event)
    assert tasks.send_event_update.call(event.pk, ["starts_at"]) == 1
    assert tasks.send_reminders(event.starts_at - timedelta(hours=12)) == 1
    assert len(to("ana@example.org")) == 2


def test_nobody_cancelled_alone_hears_of_the_event_again(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    booker = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert booker is not None
    actions.cancel_registrations(event=event, registrations=[booker])
    mail.outbox.clear()
    assert tasks.send_event_update.call(event.pk, ["starts_at"]) == 0
    assert tasks.send_reminders(event.starts_at - timedelta(hours=12)) == 0
    assert not mail.outbox


def test_an_offer_never_outlives_the_event(officer: User, north: Organisation) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    event = published_event(north, officer, capacity=1, offer_hours=48)
    event = actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": start, "ends_at": start + timedelta(hours=3)},
    )
    first = actions.register(event=event, name="Ana", email="ana@example.org").booker
    actions.register(event=event, name="Bo", email="bo@example.org")
    assert first is not None
    actions.cancel_registrations(event=event, registrations=[first])
    offered = Registration.objects.get(event=event, status=RegistrationStatus.OFFERED)
    assert offered.offer_expires_at == event.ends_at


def test_no_place_is_offered_once_the_event_is_over(officer: User, north: Organisation) -> None:
    event = published_event(north, officer, capacity=1)
    first = actions.register(event=event, name="Ana", email="ana@example.org").booker
    actions.register(event=event, name="Bo", email="bo@example.org")
    assert first is not None
    # The event took place; afterwards the organiser cancels the one who did not come.
    past = timezone.now() - timedelta(days=1)
    Event.objects.filter(pk=event.pk).update(starts_at=past - timedelta(hours=3), ends_at=past)
    event.refresh_from_db()
    tasks.send_notices.call()
    mail.outbox.clear()
    assert actions.cancel_registrations(event=event, registrations=[first], actor=officer) == 1
    waiting = Registration.objects.exclude(pk=first.pk).get(event=event)
    assert waiting.status == RegistrationStatus.WAITING
    assert waiting.offer_expires_at is None
    tasks.send_notices.call()
    assert not to("bo@example.org")


def test_an_event_moved_later_is_reminded_again_the_day_before(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer)
    actions.register(event=event, name="Ana", email="ana@example.org")
    assert tasks.send_reminders(event.starts_at - timedelta(hours=12)) == 1
    later = event.starts_at + timedelta(days=7)
    moved = actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": later, "ends_at": later + timedelta(hours=3)},
    )
    assert tasks.send_reminders(moved.starts_at - timedelta(hours=12)) == 1


def test_an_event_moved_within_the_day_before_is_not_reminded_twice(
    officer: User, north: Organisation
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(hours=12)
    event = published_event(north, officer)
    event = actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": start, "ends_at": start + timedelta(hours=3)},
    )
    actions.register(event=event, name="Ana", email="ana@example.org")
    assert tasks.send_reminders() == 1
    later = start + timedelta(hours=1)
    actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": later, "ends_at": later + timedelta(hours=3)},
    )
    assert tasks.send_reminders() == 0


def test_an_event_that_goes_online_sends_each_registrant_their_joining_link(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=2)
    actions.register(event=event, name="Ana", email="ana@example.org", companions=["Bo"])
    tasks.send_notices.call()
    mail.outbox.clear()
    actions.update_event(actor=officer, event=event, changes={"online": True})
    tasks.send_notices.call()
    [confirmation] = [m for m in to("ana@example.org") if "You are registered" in m.subject]
    assert str(confirmation.body).count("/join/") == 2
    # A change that brings nothing new sends no confirmation again.
    mail.outbox.clear()
    actions.update_event(actor=officer, event=event, changes={"room": "Salle 2"})
    tasks.send_notices.call()
    assert not [m for m in to("ana@example.org") if "You are registered" in m.subject]


def test_an_online_event_that_opens_a_room_sends_each_registrant_their_ticket(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, in_person=False, online=True)
    actions.register(event=event, name="Ana", email="ana@example.org")
    tasks.send_notices.call()
    mail.outbox.clear()
    actions.update_event(actor=officer, event=event, changes={"in_person": True})
    tasks.send_notices.call()
    [confirmation] = [m for m in to("ana@example.org") if "You are registered" in m.subject]
    assert "ticket-1.png" in [name for name, _content, _type in confirmation.attachments]


def test_anonymisation_forgets_whom_each_invitation_code_was_for(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, visibility="invitation")
    code = actions.create_invitation_code(actor=officer, event=event, label="Marie Dupont")
    registered = actions.register(
        event=event, name="Marie Dupont", email="marie@example.org", code=code.code
    )
    assert registered.booker is not None
    actions.anonymise_event(event=event)
    code.refresh_from_db()
    assert code.label == ""
    kept = Registration.objects.get(pk=registered.booker.pk)
    assert (kept.name, kept.invitation_id) == ("", code.pk)


def test_an_offer_accepted_while_the_run_expires_offers_stays_accepted(
    officer: User, north: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = published_event(north, officer, capacity=1, offer_hours=1)
    first = actions.register(event=event, name="Ana", email="ana@example.org").booker
    actions.register(event=event, name="Bo", email="bo@example.org")
    assert first is not None
    actions.cancel_registrations(event=event, registrations=[first])
    offered = Registration.objects.get(event=event, status=RegistrationStatus.OFFERED)
    assert offered.offer_expires_at is not None
    release = actions._release

    def accepted_meanwhile(*args: Any) -> int:
        # Bo presses "Accept" (on a server whose clock is a little behind) after the run
        # read the offers due and before it wrote.
        Registration.objects.filter(pk=offered.pk).update(
            status=RegistrationStatus.CONFIRMED, confirmed_at=timezone.now()
        )
        return release(*args)

    monkeypatch.setattr(actions, "_release", accepted_meanwhile)
    assert actions.expire_offers(offered.offer_expires_at + timedelta(seconds=1)) == 0
    offered.refresh_from_db()
    assert offered.status == RegistrationStatus.CONFIRMED
    event.refresh_from_db()
    assert event.places_taken == 1


def test_the_export_gives_times_in_the_event_time_zone(officer: User, north: Organisation) -> None:
    event = published_event(north, officer)  # Europe/Paris: UTC+1 or UTC+2, never UTC
    registered = actions.register(event=event, name="Ana", email="ana@example.org").booker
    assert registered is not None
    actions.check_in(actor=officer, event=event, registration=registered)
    [row] = exports.registrant_rows(event, [])
    registered.refresh_from_db()
    assert registered.checked_in_at is not None
    at_the_door = local_time(event, registered.checked_in_at)
    assert row[REGISTRANT_COLUMNS.index("checked_in_at")] == at_the_door.isoformat(
        timespec="seconds"
    )
    assert str(row[REGISTRANT_COLUMNS.index("registered_at")]).endswith(
        at_the_door.strftime("%z")[:3] + ":" + at_the_door.strftime("%z")[3:]
    )


def _with_a_session(officer: User, north: Organisation) -> tuple[Event, Session]:
    event = published_event(north, officer)
    session = actions.save_session(
        actor=officer,
        event=event,
        values={
            "title": "Opening",
            "starts_at": event.starts_at + timedelta(minutes=30),
            "ends_at": event.starts_at + timedelta(hours=1),
        },
    )
    return event, session


def test_a_postponed_event_takes_its_programme_along(officer: User, north: Organisation) -> None:
    event, session = _with_a_session(officer, north)
    later = timedelta(days=7, hours=2)
    actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": event.starts_at + later, "ends_at": event.ends_at + later},
    )
    moved = Session.objects.get(pk=session.pk)
    assert (moved.starts_at, moved.ends_at) == (
        session.starts_at + later,
        session.ends_at + later,
    )
    entry = AuditEvent.objects.filter(action="event.updated").latest("pk")
    assert entry.details["sessions_moved"] == 1


def test_an_event_read_in_another_time_zone_keeps_its_programme_on_the_clock(
    officer: User, north: Organisation
) -> None:
    # Made in Paris time, it takes place in Lisbon, an hour behind: the edit form sends its
    # times as they read on the clock, with the new zone.
    event, session = _with_a_session(officer, north)
    clock = {name: local_time(event, getattr(event, name)) for name in ("starts_at", "ends_at")}
    actions.update_event(
        actor=officer,
        event=event,
        changes={
            "timezone": "Europe/Lisbon",
            **{name: moment.replace(tzinfo=None) for name, moment in clock.items()},
        },
    )
    event.refresh_from_db()
    moved = Session.objects.get(pk=session.pk)
    assert moved.starts_at - event.starts_at == timedelta(minutes=30)


def test_an_event_that_ends_later_keeps_its_programme(officer: User, north: Organisation) -> None:
    event, session = _with_a_session(officer, north)
    actions.update_event(
        actor=officer, event=event, changes={"ends_at": event.ends_at + timedelta(hours=1)}
    )
    assert Session.objects.get(pk=session.pk).starts_at == session.starts_at


def test_the_registration_page_takes_as_many_people_as_it_says(
    client: Client, officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, group_size=actions.LARGEST_GROUP)
    path = reverse("event_register", kwargs={"org": north.slug, "event": event.slug})
    page = client.get(path).content.decode()
    assert f"up to {actions.LARGEST_GROUP} people" in page
    companions = {f"companion_{n}": f"Guest {n}" for n in range(1, actions.LARGEST_GROUP)}
    form = {"name": "Ana", "email": "ana@example.org", **companions}
    assert client.post(path, form).status_code == 302
    assert Registration.objects.filter(event=event).count() == actions.LARGEST_GROUP


def test_an_event_held_again_after_anonymisation_anonymises_its_new_registrants(
    officer: User, north: Organisation
) -> None:
    event = published_event(north, officer, anonymise_after_days=1)
    actions.register(event=event, name="Ana", email="ana@example.org")
    past = timezone.now() - timedelta(days=10)
    Event.objects.filter(pk=event.pk).update(starts_at=past - timedelta(hours=3), ends_at=past)
    assert tasks.run_anonymisation()["registrations"] == 1
    event.refresh_from_db()
    assert event.anonymised_at is not None
    # Next year's edition, on the same page.
    start = timezone.now().replace(microsecond=0) + timedelta(days=30)
    event = actions.update_event(
        actor=officer,
        event=event,
        changes={"starts_at": start, "ends_at": start + timedelta(hours=3)},
    )
    assert event.anonymised_at is None
    actions.register(event=event, name="Bo", email="bo@example.org")
    totals = tasks.run_anonymisation(event.ends_at + timedelta(days=2))
    assert (totals["events"], totals["registrations"]) == (1, 1)
    assert not [row.name for row in Registration.objects.filter(event=event) if row.name]

"""Event objects of one organisation, as the authorisation matrix names them in URLs."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.events import access, actions
from haven.events.models import Event, Registration
from haven.organisations.models import Organisation

EVENT_PARAMETERS = ("event_id", "event", "session_id", "speaker_id", "registration_id")


def published_event(organisation: Organisation, staff: User, **values: object) -> Event:
    """A published in-person event of ``organisation`` a week from now."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=7)
    event = actions.create_event(
        actor=staff,
        owner=organisation,
        title=str(values.pop("title", "Matrix event")),
        language="en",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        values={"timezone": "Europe/Paris", **values},
    )
    return actions.move_event(actor=staff, event=event, move="publish")


def event_objects(organisation: Organisation, staff: User) -> dict[str, object]:
    """A published event with a session and its speaker, a partner, a question and one
    registration, of ``organisation``."""
    event = published_event(organisation, staff, capacity=10)
    session = actions.save_session(
        actor=staff,
        event=event,
        values={
            "kind": "panel",
            "title": "Matrix panel",
            "starts_at": event.starts_at,
            "ends_at": event.starts_at + timedelta(hours=1),
        },
    )
    speaker = actions.save_speaker(actor=staff, owner=organisation, name="Matrix Speaker")
    # One of each row staff put in order, so the pages show their ordering forms.
    actions.add_session_speaker(actor=staff, session=session, speaker=speaker)
    partner = Organisation.objects.create(slug=f"{organisation.slug}-partner", name="Partner")
    actions.add_partner(actor=staff, event=event, organisation=partner, role="co_host")
    question = actions.save_question(actor=staff, event=event, label="Matrix question")
    registered = actions.register(
        event=event,
        name="Matrix Visitor",
        email="visitor@example.org",
        answers={str(question.pk): "An answer"},
    )
    assert registered.booker is not None
    return {
        "event_id": event.pk,
        "event": event.slug,
        "session_id": session.pk,
        "speaker_id": speaker.pk,
        "registration_id": registered.booker.pk,
    }


def manage_url(registration: Registration) -> str:
    """The registrant's own page, as their personal link opens it."""
    event = registration.event
    return reverse(
        "event_registration",
        kwargs={
            "org": event.owner.slug,
            "event": event.slug,
            "token": access.manage_token(registration),
        },
    )

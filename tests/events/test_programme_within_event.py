"""New times of an event never leave sessions of its programme outside them, on the
pages, through the API and in the actions alike."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import actions
from haven.events.forms import EventForm
from haven.events.models import Event, Session
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)


def _with_programme(officer: User, north: Organisation) -> tuple[Event, list[Session]]:
    """An event from 0:00 to 3:00 (its own clock) with an opening and a closing session."""
    event = published_event(north, officer)
    sessions = [
        actions.save_session(
            actor=officer,
            event=event,
            values={
                "title": title,
                "starts_at": event.starts_at + start,
                "ends_at": event.starts_at + start + timedelta(hours=1),
            },
        )
        for title, start in (("Opening", timedelta(0)), ("Closing", timedelta(hours=2)))
    ]
    return event, sessions


def _unchanged(event: Event, sessions: list[Session]) -> None:
    saved = Event.objects.get(pk=event.pk)
    assert (saved.starts_at, saved.ends_at) == (event.starts_at, event.ends_at)
    for session in sessions:
        moved = Session.objects.get(pk=session.pk)
        assert (moved.starts_at, moved.ends_at) == (session.starts_at, session.ends_at)
    assert not AuditEvent.objects.filter(action="event.updated").exists()


def test_an_earlier_end_that_leaves_a_session_outside_is_refused(
    officer: User, north: Organisation
) -> None:
    event, sessions = _with_programme(officer, north)
    with pytest.raises(ValidationError) as refused:
        actions.update_event(
            actor=officer, event=event, changes={"ends_at": event.ends_at - timedelta(hours=1)}
        )
    assert refused.value.messages == [
        "1 session of the programme would fall outside the event's new times: move it first."
    ]
    _unchanged(event, sessions)


def test_new_times_that_leave_both_sessions_outside_name_them_both(
    officer: User, north: Organisation
) -> None:
    event, sessions = _with_programme(officer, north)
    # Starts an hour later and ends an hour earlier: not a postponement, nothing moves.
    changes = {
        "starts_at": event.starts_at + timedelta(minutes=30),
        "ends_at": event.ends_at - timedelta(minutes=30),
    }
    with pytest.raises(ValidationError) as refused:
        actions.update_event(actor=officer, event=event, changes=changes)
    assert refused.value.messages == [
        "2 sessions of the programme would fall outside the event's new times: move them first."
    ]
    _unchanged(event, sessions)


def test_new_times_that_keep_the_programme_inside_are_saved(
    officer: User, north: Organisation
) -> None:
    event, sessions = _with_programme(officer, north)
    # The last session ends at the event's end: the rule is the one sessions are saved by.
    later = actions.update_event(
        actor=officer, event=event, changes={"starts_at": event.starts_at - timedelta(hours=1)}
    )
    assert later.starts_at == event.starts_at - timedelta(hours=1)
    postponed = actions.update_event(
        actor=officer,
        event=later,
        changes={
            "starts_at": later.starts_at + timedelta(days=1),
            "ends_at": later.ends_at + timedelta(days=1),
        },
    )
    assert Session.objects.get(pk=sessions[1].pk).ends_at == postponed.ends_at


def test_the_edit_page_refuses_the_change_and_says_why(officer: User, north: Organisation) -> None:
    event, sessions = _with_programme(officer, north)
    form = {
        name: value
        for name, value in EventForm.initial_for(event).items()
        if value not in (None, False)
    }
    form.update(
        {
            "languages": ", ".join(event.languages),
            "interpretation": "",
            "starts_at": form["starts_at"].strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (form["ends_at"] - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "registration_open": "on",
            "in_person": "on",
        }
    )
    response = client_for(officer).post(
        reverse("event_edit", kwargs={"org": north.slug, "event_id": event.pk}), form
    )
    assert response.status_code == 400
    assert "1 session of the programme would fall outside" in response.content.decode()
    _unchanged(event, sessions)


def test_the_api_refuses_the_change_and_says_why(officer: User, north: Organisation) -> None:
    event, sessions = _with_programme(officer, north)
    response = Client().patch(
        f"/api/orgs/{north.slug}/events/{event.pk}",
        json.dumps({"ends_at": (event.ends_at - timedelta(hours=1)).isoformat()}),
        content_type="application/json",
        **bearer(officer),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == {
        "__all__": [
            "1 session of the programme would fall outside the event's new times: move it first."
        ]
    }
    _unchanged(event, sessions)

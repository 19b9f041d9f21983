"""The day-before reminder says what holds for its reader: a booker who cancelled only
their own place is reminded for the people they brought, not told they are registered."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import actions, tasks
from haven.organisations.models import Organisation
from tests.conftest import make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER)


def _reminder_parts(
    companions: list[str], booker_cancels: bool, officer: User, north: Organisation
) -> tuple[str, str]:
    """The plain text and the HTML of the reminder Ana receives."""
    event = published_event(north, officer, group_size=3)
    booker = actions.register(
        event=event, name="Ana", email="ana@example.org", companions=companions
    ).booker
    assert booker is not None
    if booker_cancels:
        actions.cancel_registrations(event=event, registrations=[booker])
    mail.outbox.clear()
    assert tasks.send_reminders(event.starts_at - timedelta(hours=12)) == 1
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["ana@example.org"]
    [(body, kind)] = message.alternatives
    assert kind == "text/html"
    return " ".join(str(message.body).split()), " ".join(html.unescape(str(body)).split())


@pytest.mark.parametrize("part", [0, 1], ids=["text", "html"])
def test_a_booker_who_cancelled_their_own_place_is_reminded_for_their_companion(
    officer: User, north: Organisation, part: int
) -> None:
    body = _reminder_parts(["Bo"], True, officer, north)[part]
    assert "you are registered" not in body
    assert (
        "Bo, whom you registered, has a place; you do not have a confirmed place yourself." in body
    )
    assert "If they cannot come, please cancel their place so someone else can take it" in body
    assert "take your place" not in body


@pytest.mark.parametrize("part", [0, 1], ids=["text", "html"])
def test_a_booker_who_cancelled_their_own_place_is_reminded_for_their_companions(
    officer: User, north: Organisation, part: int
) -> None:
    body = _reminder_parts(["Bo", "Cy"], True, officer, north)[part]
    assert "you are registered" not in body
    assert "Bo, Cy, whom you registered, have places;" in body
    assert "please cancel their places so others can take them" in body


@pytest.mark.parametrize("part", [0, 1], ids=["text", "html"])
def test_a_booker_who_comes_is_told_they_are_registered(
    officer: User, north: Organisation, part: int
) -> None:
    body = _reminder_parts(["Bo"], False, officer, north)[part]
    assert "is coming up soon, and you are registered." in body
    assert "whom you registered" not in body
    assert "Cannot come? Please cancel so someone else can take your place" in body

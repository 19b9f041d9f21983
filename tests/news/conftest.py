"""News tests: north's advocacy officer writes; north is a member of the coalition, whose
own events and letters north's posts may link too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.events.models import Event
from haven.letters import actions as letters
from haven.letters.models import Letter
from haven.organisations.models import Organisation
from haven.privacy import crypto
from tests.conftest import client_for
from tests.events.world import published_event


@pytest.fixture(autouse=True)
def _unscoped_by_default(db: None) -> Iterator[None]:
    # Tests read models directly to check what requests did; views set their own scope.
    cache.clear()
    crypto.clear_key_cache()
    with scopes_disabled():
        yield
    crypto.clear_key_cache()


@pytest.fixture
def staff(adam: User) -> Client:
    return client_for(adam)


@pytest.fixture
def event(north: Organisation, adam: User) -> Event:
    return published_event(north, adam, title="Evening debate")


def public_letter(owner: Organisation, actor: User, title: str = "Open letter") -> Letter:
    """A letter of ``owner`` published yesterday."""
    letter = letters.create_letter(
        actor=actor, owner=owner, title=title, body="We call on **you**.", language="en"
    )
    letters.move_letter(actor=actor, letter=letter, move="open")
    return letters.move_letter(
        actor=actor,
        letter=letter,
        move="publish",
        publish_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def letter(north: Organisation, adam: User) -> Letter:
    return public_letter(north, adam)

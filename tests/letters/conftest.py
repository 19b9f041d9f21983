"""Letters for the tests: one owned by the network's organisation (the coalition), with
an advocacy officer there; north and south are its member and partner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.letters import actions
from haven.letters.models import Letter, OrganisationSignature
from haven.organisations.models import Network, Organisation
from haven.privacy import crypto
from tests.conftest import make_organisation, make_user

BODY = "We, the undersigned, call on the committee to **act**.\n\n- one\n- two"


@pytest.fixture(autouse=True)
def _unscoped_by_default(db: None) -> Iterator[None]:
    # Tests read models directly to check what requests did; views set their own scope.
    # Executed on-commit callbacks cache the data keys of organisations that the test then
    # rolls back: forget them before and after, or a later test with the same ids fails.
    cache.clear()
    crypto.clear_key_cache()
    with scopes_disabled():
        yield
    crypto.clear_key_cache()


@pytest.fixture
def ada(coalition: Network) -> User:
    """The coalition's advocacy officer."""
    return make_user("ada", coalition.organisation, Role.ADVOCACY_OFFICER, mfa=False)


@pytest.fixture
def east(db: None) -> Organisation:
    """An organisation with staff in Haven that is not in the coalition."""
    return make_organisation("east", name="East Outreach", country="PL")


@pytest.fixture
def erin(east: Organisation) -> User:
    return make_user("erin", east, Role.ADVOCACY_OFFICER, mfa=False)


def draft_letter(
    actor: User, owner: Organisation, title: str = "Letter to the committee"
) -> Letter:
    return actions.create_letter(
        actor=actor,
        owner=owner,
        title=title,
        body=BODY,
        language="en",
        values={
            "addressees": "Delegates of the Standard Setting Committee",
            "contact_name": "Gaia Example",
            "contact_email": "gaia@example.org",
            "hashtags": "#EndExploitation, Equality",
            "signature_deadline": timezone.now() + timedelta(days=10),
        },
    )


@pytest.fixture
def letter(ada: User, coalition: Network) -> Letter:
    """An open letter of the coalition."""
    drafted = draft_letter(ada, coalition.organisation)
    return actions.move_letter(actor=ada, letter=drafted, move="open")


def requested(letter: Letter, **fields: Any) -> OrganisationSignature:
    """An outside organisation's request to sign (confirmed when ``confirm``)."""
    confirm = fields.pop("confirm", False)
    values = {"country": "FR", "signer_name": "Signer", "signer_email": "signer@example.org"}
    signature = actions.request_signature(letter=letter, **{**values, **fields})
    assert signature is not None
    return actions.confirm_request(signature=signature) if confirm else signature


def confirmation_link(message: Any) -> str:
    """The path and token of the confirmation link in an e-mail's plain text."""
    found = re.search(r"https?://[^/\s]+(/\S+/confirm/(\S+)/)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def token_of(message: Any) -> str:
    return confirmation_link(message).rstrip("/").rsplit("/", 1)[1]


def html_part(message: Any) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    return str(message.alternatives[0][0])

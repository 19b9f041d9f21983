"""Personas and helpers shared by the whole suite.

north is an NGO with its staff (admin alice, caseworker carol, viewer victor, data
protection officer dana, advocacy officer adam); south is another NGO whose admin bob is
the outsider; the network "Coalition" is run by the organisation "coalition" whose
coordinator is cora. Persons-seeing roles have a TOTP authenticator, as they must.
"""

from __future__ import annotations

import email
import importlib
import secrets
import socket
from collections.abc import Iterator
from email.message import Message
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.db.models.signals import post_migrate
from django.test import Client
from django.utils import translation
from django_scopes import scopes_disabled

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import Role, assignable_roles
from haven.organisations.models import Membership, Network, Organisation
from haven.privacy import crypto
from haven.public_cache import clear_local_caches
from haven.timezones import forget_held_zones

PASSWORD = "correct horse battery staple"


@pytest.fixture
def flushable_audit_trail(transactional_db: None) -> Iterator[None]:
    """Let the transactional test's final flush empty the append-only audit table.

    The database refuses to delete audit events, so the triggers are lifted just
    before the flush and put back, with the chain head, as soon as it is done.
    """
    privacy = apps.get_app_config("privacy")
    migration = importlib.import_module("haven.privacy.migrations.0002_audit_append_only")

    def restore(**kwargs: Any) -> None:
        post_migrate.disconnect(restore, sender=privacy)
        with connection.schema_editor() as editor:
            migration.install_triggers(apps, editor)
        apps.get_model("privacy", "AuditChainHead").objects.get_or_create(pk=1)

    yield
    with connection.schema_editor() as editor:
        migration.remove_triggers(apps, editor)
    # flush sends post_migrate once it has emptied the tables.
    post_migrate.connect(restore, sender=privacy, weak=False)


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.HAVEN_DEMO = False


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A page asked for in French leaves French active in the thread (LocaleMiddleware
    # activates the request's language and nothing deactivates it): the next test would
    # read its messages in French.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    # Each test's database is new, but this process would still hold the last test's data
    # keys (by organisation id, which the next test's organisation reuses) and, for a
    # second, its public petitions and events.
    crypto.clear_key_cache()
    clear_local_caches()
    forget_held_zones()
    yield
    crypto.clear_key_cache()
    clear_local_caches()
    forget_held_zones()


def make_organisation(slug: str, **fields: Any) -> Organisation:
    defaults = {"name": slug.title(), "country": "FR", "kind": "ngo"}
    return Organisation.objects.create(slug=slug, **{**defaults, **fields})


def make_user(
    username: str, organisation: Organisation | None, *roles: str, mfa: bool = True
) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD
    )
    for role in roles:
        assert organisation is not None
        RoleAssignment.objects.create(user=user, organisation=organisation, role=role)
    if mfa:
        TOTP.activate(user, generate_totp_secret())
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def north(db: None) -> Organisation:
    return make_organisation("north", name="North Shelter", country="FR", city="Paris")


@pytest.fixture
def south(db: None) -> Organisation:
    return make_organisation("south", name="South Helpline", country="ES", city="Madrid")


@pytest.fixture
def coalition(db: None, north: Organisation, south: Organisation) -> Network:
    organisation = make_organisation("coalition", name="Coalition", kind="network", country="BE")
    network = Network.objects.create(organisation=organisation, slug="coalition")
    Membership.objects.create(network=network, organisation=north, category="member")
    Membership.objects.create(network=network, organisation=south, category="partner")
    return network


@pytest.fixture
def alice(north: Organisation) -> User:
    return make_user("alice", north, Role.ORGANISATION_ADMIN)


@pytest.fixture
def carol(north: Organisation) -> User:
    return make_user("carol", north, Role.CASEWORKER)


@pytest.fixture
def victor(north: Organisation) -> User:
    return make_user("victor", north, Role.VIEWER, mfa=False)


@pytest.fixture
def dana(north: Organisation) -> User:
    return make_user("dana", north, Role.DATA_PROTECTION_OFFICER)


@pytest.fixture
def adam(north: Organisation) -> User:
    return make_user("adam", north, Role.ADVOCACY_OFFICER, mfa=False)


@pytest.fixture
def bob(south: Organisation) -> User:
    # Every role an NGO can give (a network coordinator exists only in a network).
    return make_user("bob", south, *assignable_roles("ngo"))


@pytest.fixture
def cora(coalition: Network) -> User:
    return make_user("cora", coalition.organisation, Role.NETWORK_COORDINATOR, mfa=False)


@pytest.fixture
def unscoped() -> Iterator[None]:
    with scopes_disabled():
        yield


def token_for(user: User) -> str:
    from haven.accounts.actions import create_api_token

    return create_api_token(actor=user, name=f"test {secrets.token_hex(2)}")[1]


def bearer(user: User) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_for(user)}"}


# --- a real SMTP server on loopback, for the tests that read a message back -------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "Haven <haven@example.org>"
    yield inbox
    controller.stop()

"""A username keeps to one script, so that no new account can pass for an existing one
("alice" with a Cyrillic U+0430 for its "a"), wherever the name is chosen."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation, User
from haven.accounts.usernames import mixed_scripts

PASSWORD = "a long enough passphrase"
CYRILLIC_A = "\u0430"

MIXED = [
    f"{CYRILLIC_A}lice",  # a Cyrillic a among Latin letters
    f"p{CYRILLIC_A}ypal",
    "\u03bfscar",  # Greek omicron
    "ｐ\u0430ypal",  # full-width Latin, folded to plain, with a Cyrillic a
    "carol\u0663",  # an Arabic-Indic digit three
    "алиса_bob",
]
ONE_SCRIPT = [
    "alice",
    "jose\u0301",  # an accent typed as a combining mark
    "ｊｏｓé",  # full-width: folded to plain Latin
    "алиса",  # Cyrillic throughout
    "δήμητρα.2026",
    "محمد_٣",  # Arabic letters with an Arabic-Indic digit
    "田中たなか",  # Japanese mixes Han and Hiragana by nature
    "김kim",  # Korean with Latin
    "user_2026@north",
]


def invite(alice, north, email: str = "new@example.org") -> Invitation:
    with scope(organisation=north):
        return actions.invite_user(actor=alice, organisation=north, email=email, roles=["viewer"])


@pytest.mark.parametrize("name", MIXED)
def test_names_mixing_scripts_are_found(name):
    assert len(mixed_scripts(name)) >= 2


@pytest.mark.parametrize("name", ONE_SCRIPT)
def test_names_in_one_script_or_one_writing_system_are_not(name):
    assert mixed_scripts(name) == []


@pytest.mark.parametrize("name", MIXED)
def test_accepting_an_invitation_refuses_a_name_mixing_scripts_and_creates_nothing(
    alice, north, name
):
    invitation = invite(alice, north)
    with pytest.raises(ValidationError) as refusal:
        actions.accept_invitation(invitation=invitation, username=name, password=PASSWORD)
    assert refusal.value.error_list[0].code == "mixed_scripts"
    assert not User.objects.filter(email="new@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize("name", ["алиса", "田中たなか", "ｊｏｓé"])
def test_accepting_an_invitation_takes_a_name_in_one_script(alice, north, name):
    user = actions.accept_invitation(
        invitation=invite(alice, north), username=name, password=PASSWORD
    )
    assert user.username == User.normalize_username(name)


def test_the_invitation_page_says_why_the_name_is_refused(alice, north):
    link = reverse(
        "accept_invitation", kwargs={"token": invitation_link_token(invite(alice, north))}
    )
    response = Client().post(
        link,
        {"username": f"{CYRILLIC_A}lice", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This username mixes letters of different scripts (Cyrillic, Latin)" in page
    assert not User.objects.filter(email="new@example.org").exists()


def test_the_operators_createsuperuser_refuses_a_name_mixing_scripts(db):
    with pytest.raises(CommandError, match="mixes letters of different scripts"):
        call_command(
            "createsuperuser",
            interactive=False,
            username=f"{CYRILLIC_A}dmin",
            email="admin@example.org",
            verbosity=0,
        )
    assert not User.objects.exists()


def test_a_full_clean_of_an_account_refuses_a_name_mixing_scripts(db):
    user = User(username=f"{CYRILLIC_A}lice", email="a@example.org")
    user.set_password(PASSWORD)
    with pytest.raises(ValidationError) as refusal:
        user.full_clean()
    assert "username" in refusal.value.message_dict

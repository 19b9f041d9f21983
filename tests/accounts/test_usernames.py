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


CYRILLIC_POPE = "\u0440\u043e\u0440\u0435"  # Cyrillic er, o, er, ie
# Whole names in another script that read as an existing one: no script is mixed in them.
LOOK_ALIKES = [
    ("pope", CYRILLIC_POPE),
    ("ace", "\u0430\u0441\u0435"),  # Cyrillic throughout
    ("abe", "\u0391\u0392\u0395"),  # Greek capitals, and logins ignore case
    ("bob", "b0b"),  # a zero for an o
    ("Ilona", "llona"),  # a capital I for a small l
    ("mary", "rnary"),
]


@pytest.mark.parametrize(("taken", "name"), LOOK_ALIKES)
def test_accepting_an_invitation_refuses_a_look_alike_of_a_taken_name(alice, north, taken, name):
    User.objects.create_user(username=taken, email="taken@example.org", password=PASSWORD)
    assert mixed_scripts(name) == []
    invitation = invite(alice, north)
    with pytest.raises(ValidationError) as refusal:
        actions.accept_invitation(invitation=invitation, username=name, password=PASSWORD)
    assert refusal.value.error_list[0].code == "look_alike"
    assert not User.objects.filter(email="new@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize("name", ["alicia", "\u0430\u043b\u0438\u0441\u0430", "bo", "marty"])
def test_a_name_that_only_resembles_a_taken_one_is_accepted(alice, north, name):
    # "alice" is taken; the Cyrillic "alisa" does not read as it.
    user = actions.accept_invitation(
        invitation=invite(alice, north), username=name, password=PASSWORD
    )
    assert user.username == name


def test_the_invitation_page_refuses_a_look_alike_without_naming_the_taken_one(alice, north):
    User.objects.create_user(username="pope", email="taken@example.org", password=PASSWORD)
    link = reverse(
        "accept_invitation", kwargs={"token": invitation_link_token(invite(alice, north))}
    )
    response = Client().post(
        link,
        {
            "username": CYRILLIC_POPE,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This username is taken or too close to one that is taken: choose another." in page
    assert "pope" not in page
    assert not User.objects.filter(email="new@example.org").exists()


def test_renaming_an_account_to_a_look_alike_is_refused_but_keeping_its_name_is_not(db):
    pope = User.objects.create_user(username="pope", email="pope@example.org", password=PASSWORD)
    pope.full_clean()
    bob = User.objects.create_user(username="bob", email="bob@example.org", password=PASSWORD)
    bob.username = CYRILLIC_POPE
    with pytest.raises(ValidationError) as refusal:
        bob.full_clean()
    assert [error.code for error in refusal.value.error_dict["username"]] == ["look_alike"]


def test_the_operators_createsuperuser_refuses_a_look_alike(db):
    User.objects.create_user(username="pope", email="pope@example.org", password=PASSWORD)
    with pytest.raises(CommandError, match="too close to one that is taken"):
        call_command(
            "createsuperuser",
            interactive=False,
            username=CYRILLIC_POPE,
            email="admin@example.org",
            verbosity=0,
        )


@pytest.mark.parametrize("name", ["victor@example.org", "VICTOR@Example.org", "vict0r@example.org"])
def test_a_username_that_is_another_accounts_address_is_refused(alice, victor, north, name):
    # A sign-in by "victor@example.org" would name both accounts: its lockout and its
    # refusals on the trail could go to either.
    invitation = invite(alice, north)
    with pytest.raises(ValidationError) as refusal:
        actions.accept_invitation(invitation=invitation, username=name, password=PASSWORD)
    assert refusal.value.error_list[0].code == "look_alike"
    assert not User.objects.filter(email="new@example.org").exists()


def test_a_username_that_is_the_accounts_own_address_is_taken(alice, north):
    user = actions.accept_invitation(
        invitation=invite(alice, north), username="new@example.org", password=PASSWORD
    )
    assert user.username == user.email == "new@example.org"
    user.full_clean()


def test_an_oversized_name_is_refused_for_its_length_not_a_server_error(alice, north):
    link = reverse(
        "accept_invitation", kwargs={"token": invitation_link_token(invite(alice, north))}
    )
    response = Client().post(
        link, {"username": "x" * 100_000, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="new@example.org").exists()

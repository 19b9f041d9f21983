"""Two invitations accepted at the same instant with the same name, in any case or as a
look-alike, make one account: the other newcomer is told the name is taken, and nothing
of theirs changes."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.contrib.auth.models import UserManager
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import Invitation, RoleAssignment, User
from haven.accounts.permissions import Role
from tests.conftest import make_organisation, make_user
from tests.marks import concurrent_writers

PASSWORD = "a long enough passphrase"
TAKEN = "This username is taken; choose another."
LOOK_ALIKE = "This username is taken or too close to one that is taken: choose another."


def invite(actor: User, email: str) -> Invitation:
    with scope(organisation=actor.role_assignments.get().organisation):
        return actions.invite_user(
            actor=actor,
            organisation=actor.role_assignments.get().organisation,
            email=email,
            roles=[Role.VIEWER],
        )


def test_a_name_made_between_the_form_and_the_write_is_refused_as_taken(alice, monkeypatch):
    invitation = invite(alice, "new@example.org")
    create_user = UserManager.create_user

    def made_meanwhile(self: UserManager[User], *args: Any, **kwargs: Any) -> Any:
        # The other newcomer's account, made once this one's checks have passed.
        create_user(self, "newbie", "other@example.org", PASSWORD)
        return create_user(self, *args, **kwargs)

    monkeypatch.setattr(UserManager, "create_user", made_meanwhile)
    response = Client().post(
        reverse("accept_invitation", kwargs={"token": invitation_link_token(invitation)}),
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 400
    assert TAKEN in response.content.decode()
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email="new@example.org").exists()
    assert not RoleAssignment.objects.filter(user__email="new@example.org").exists()


@concurrent_writers
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit_trail")
@pytest.mark.parametrize(
    ("name", "other_name", "refusal"),
    [
        ("newbie", "newbie", TAKEN),
        ("newbie", "NEWBIE", TAKEN),
        # "pope" typed wholly in Cyrillic letters.
        ("pope", "\u0440\u043e\u0440\u0435", LOOK_ALIKE),
    ],
    ids=["same", "other_case", "look_alike"],
)
def test_two_newcomers_taking_one_name_at_once_make_one_account(
    monkeypatch, name, other_name, refusal
):
    north = make_organisation("north")
    alice = make_user("alice", north, Role.ORGANISATION_ADMIN)
    invitations = [invite(alice, "first@example.org"), invite(alice, "second@example.org")]
    # Each newcomer waits, once their name was found free, until the other's was too:
    # without turns both checks pass. With them, the second waits for the first to commit,
    # and the first stops waiting.
    both_checked = threading.Barrier(2, timeout=3)
    create_user = UserManager.create_user

    def checked_then_waiting(self: UserManager[User], *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return create_user(self, *args, **kwargs)

    monkeypatch.setattr(UserManager, "create_user", checked_then_waiting)
    outcomes: list[str] = []

    def accept(invitation: Invitation, name: str) -> None:
        try:
            actions.accept_invitation(invitation=invitation, username=name, password=PASSWORD)
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        else:
            outcomes.append("done")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(invitations[0], name)),
        threading.Thread(target=accept, args=(invitations[1], other_name)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([refusal, "done"])
    assert User.objects.exclude(pk=alice.pk).count() == 1
    with scopes_disabled():
        assert Invitation.objects.filter(accepted_at__isnull=True).count() == 1

"""An organisation's admins and DPOs are told whenever someone gains a role that manages
staff or reads identities, so that an admin account cannot quietly widen its own power."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from haven.accounts import actions
from haven.accounts.permissions import Role
from haven.accounts.tasks import send_powerful_roles_notice
from haven.organisations.models import Organisation
from tests.conftest import PASSWORD, client_for, make_user


def test_giving_a_dpo_role_tells_the_other_admins_and_dpos_not_the_actor_nor_the_user(
    alice, carol, dana, north, django_capture_on_commit_callbacks
):
    other_admin = make_user("olga", north, Role.ORGANISATION_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(
            reverse("staff_roles", kwargs={"org": "north", "user_id": carol.pk}),
            {"roles": ["caseworker", "data_protection_officer"]},
        )
    assert response.status_code == 302
    told = sorted(message.to[0] for message in mail.outbox)
    assert told == [dana.email, other_admin.email]
    message = mail.outbox[0]
    assert message.subject == "carol was given new powers in North Shelter"
    assert "alice gave carol these roles in North Shelter on Haven: Data protection officer." in (
        message.body
    )
    assert "/o/north/staff/" in message.body


def test_an_ordinary_role_tells_no_one(alice, carol, dana, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post(
            reverse("staff_roles", kwargs={"org": "north", "user_id": carol.pk}),
            {"roles": ["caseworker", "viewer"]},
        )
    assert mail.outbox == []


def test_a_new_admin_joining_by_invitation_is_announced_in_each_reader_s_language(
    alice, dana, north: Organisation, django_capture_on_commit_callbacks
):
    dana.preferred_language = "fr"
    dana.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.invite_user(
            actor=alice, organisation=north, email="new@example.org", roles=["organisation_admin"]
        )
    link = re.search(r"http://\S+/invitations/(\S+)/", str(mail.outbox[0].body))
    assert link is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            f"/invitations/{link.group(1)}/",
            {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
        )
    # alice invited them and knows; dana, the DPO, is told, in French.
    assert [message.to for message in mail.outbox] == [[dana.email]]
    assert mail.outbox[0].extra_headers["Content-Language"] == "fr"


def test_a_new_admin_joining_by_the_invitation_of_a_deleted_account_is_announced(
    alice, dana, north: Organisation, django_capture_on_commit_callbacks
):
    other_admin = make_user("olga", north, Role.ORGANISATION_ADMIN)
    with scope(organisation=north):
        invitation = actions.invite_user(
            actor=alice, organisation=north, email="new@example.org", roles=["organisation_admin"]
        )
    alice.delete()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.accept_invitation(invitation=invitation, username="newbie", password=PASSWORD)
    assert sorted(message.to[0] for message in mail.outbox) == [dana.email, other_admin.email]
    assert (
        "newbie was given these roles in North Shelter on Haven by an account that no longer "
        "exists: Organisation admin."
    ) in str(mail.outbox[0].body)


def test_the_notice_goes_out_when_the_actor_is_deleted_before_it_is_sent(
    alice, carol, dana, north: Organisation
):
    actor_id = alice.pk
    alice.delete()
    send_powerful_roles_notice.call(north.pk, carol.pk, actor_id, ["data_protection_officer"])
    assert [message.to for message in mail.outbox] == [[dana.email]]
    assert "by an account that no longer exists: Data protection officer." in str(
        mail.outbox[0].body
    )

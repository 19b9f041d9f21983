"""A new account's password may not be its own username or e-mail address, as anywhere
else a password is set."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import User

ADDRESS = "seaside.helper@example.org"


def accept_link(alice, north) -> str:
    with scope(organisation=north):
        invitation = actions.invite_user(
            actor=alice, organisation=north, email=ADDRESS, roles=["viewer"]
        )
    return reverse("accept_invitation", kwargs={"token": invitation_link_token(invitation)})


@pytest.mark.parametrize("password", ["seaside.helper.2026", ADDRESS, "SEASIDE.HELPER.2026"])
def test_a_password_like_the_username_or_address_is_refused(alice, north, password):
    response = Client().post(
        accept_link(alice, north),
        {"username": "seaside.helper.2026", "password1": password, "password2": password},
    )
    assert response.status_code == 400
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email=ADDRESS).exists()


def test_a_password_unlike_them_is_taken(alice, north):
    password = "lighthouse keeper at dawn"
    response = Client().post(
        accept_link(alice, north),
        {"username": "seaside.helper.2026", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    assert User.objects.get(email=ADDRESS).check_password(password)

"""A malformed answer when adding a security key or passkey is refused, not a server error;
an oversized name for a key is refused and stores nothing."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from tests.conftest import PASSWORD, make_user

ADD_KEY = reverse("mfa_add_webauthn")


def signed_in_just_now(username: str, north) -> Client:
    make_user(username, north, Role.VIEWER, mfa=False)
    client = Client()
    client.post(reverse("account_login"), {"login": username, "password": PASSWORD})
    # Adding a factor asks for the password again, even right after signing in.
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_key_answer_missing_its_parts_is_refused_and_adds_nothing(north):
    client = signed_in_just_now("keyless", north)
    assert client.get(ADD_KEY).status_code == 200
    for answer in (
        '{"id": "canary", "type": "public-key"}',
        '{"id": "eA", "rawId": "eA", "type": "public-key"}',
        "[]",
        '"just a string"',
    ):
        response = client.post(ADD_KEY, {"name": "My key", "credential": answer})
        assert response.status_code == 200, answer
        assert response.context["form"].errors
    assert not Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).exists()


def test_an_oversized_key_name_is_refused_when_adding_a_key(north):
    client = signed_in_just_now("keyless", north)
    response = client.post(
        ADD_KEY, {"name": "k" * 101, "credential": '{"id": "eA", "type": "public-key"}'}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_an_oversized_key_name_is_refused_when_renaming_a_key_and_changes_nothing(north):
    client = signed_in_just_now("keyholder", north)
    key = Authenticator.objects.create(
        user=User.objects.get(username="keyholder"),
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Blue key", "credential": {}},
    )
    edit = reverse("mfa_edit_webauthn", kwargs={"pk": key.pk})
    response = client.post(edit, {"name": "k" * 101})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    key.refresh_from_db()
    assert key.data["name"] == "Blue key"
    assert client.post(edit, {"name": "Red key"}).status_code == 302
    key.refresh_from_db()
    assert key.data["name"] == "Red key"

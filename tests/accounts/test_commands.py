"""Management commands for accounts: personal API tokens from the command line."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from haven.accounts.models import ApiToken, User


def _token(*args: str) -> str:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_create_api_token_prints_only_a_secret_that_authenticates_the_api(alice: User) -> None:
    printed = _token("alice")
    secret = printed.strip()
    assert printed == secret + "\n"
    assert secret.startswith("haven_")
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    token = ApiToken.objects.get(user=alice)
    assert token.name == "command line"
    # Never for ever: 90 days unless the command says otherwise.
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=5)
    assert secret not in token.token_hash


def test_create_api_token_takes_a_name_and_an_expiry(alice: User) -> None:
    _token("alice", "--name", "nightly export", "--expires-days", "30")
    token = ApiToken.objects.get(user=alice)
    assert token.name == "nightly export"
    assert token.expires_at is not None
    expected = timezone.now() + timedelta(days=30)
    assert abs(token.expires_at - expected) < timedelta(minutes=5)


def test_a_made_up_token_does_not_authenticate(alice: User) -> None:
    _token("alice")
    response = Client().get("/api/me", HTTP_AUTHORIZATION="Bearer haven_not-a-real-token")
    assert response.status_code == 401


@pytest.mark.django_db
def test_create_api_token_for_an_unknown_user_is_an_error() -> None:
    with pytest.raises(CommandError, match="nobody"):
        _token("nobody")
    assert not ApiToken.objects.exists()


def test_create_api_token_refuses_a_bad_name_or_expiry(alice: User) -> None:
    with pytest.raises(CommandError):
        _token("alice", "--name", "x" * 101)
    with pytest.raises(CommandError):
        _token("alice", "--expires-days", "0")
    # A year at most, as on My account.
    with pytest.raises(CommandError, match="between 1 and 365"):
        _token("alice", "--expires-days", "366")
    assert not ApiToken.objects.exists()


def test_create_api_token_takes_a_year_at_most(alice: User) -> None:
    _token("alice", "--expires-days", "365")
    token = ApiToken.objects.get(user=alice)
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=5)


def test_create_api_token_refuses_a_deactivated_user(alice: User) -> None:
    alice.is_active = False
    alice.save()
    with pytest.raises(CommandError):
        _token("alice")
    assert not ApiToken.objects.exists()

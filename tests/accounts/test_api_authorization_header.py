"""The API's Authorization header: the Bearer scheme and the Token habit, a 401 that says
which scheme to use, and no secret in the server's log."""

from __future__ import annotations

import logging

import pytest

from haven.accounts.models import User
from tests.conftest import token_for


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Token", "token"])
def test_bearer_and_token_schemes_both_authenticate(victor: User, client, scheme: str) -> None:
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"{scheme} {token_for(victor)}")
    assert response.status_code == 200
    assert response.json()["username"] == "victor"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer haven_not-a-real-token", "Basic dmljdG9yOnNlY3JldA==", "Bearer", ""],
)
def test_a_401_names_the_bearer_scheme(db: None, client, header: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/me", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "detail" in response.json()


@pytest.mark.parametrize("scheme", ["Token", "Digest", "haven"])
def test_no_scheme_writes_the_secret_to_the_log(
    victor: User, client, settings, caplog: pytest.LogCaptureFixture, scheme: str
) -> None:
    settings.DEBUG = True
    secret = token_for(victor)
    with caplog.at_level(logging.DEBUG):
        client.get("/api/me", HTTP_AUTHORIZATION=f"{scheme} {secret}")
    assert secret not in caplog.text
    assert secret[len("haven_") :] not in caplog.text

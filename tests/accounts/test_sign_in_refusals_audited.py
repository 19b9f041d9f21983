"""Refused sign-in steps on the audit trail: a wrong second-factor code, and every attempt the
lockout refuses (password step and code step), never with what was typed."""

from __future__ import annotations

from typing import Any

import pyotp
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.privacy.access import audit_events_for
from haven.privacy.models import AuditChainHead, AuditEvent
from tests.conftest import PASSWORD, client_for, make_user

LOGIN = reverse("account_login")
SECOND_STEP = reverse("mfa_authenticate")
WRONG_CODE = "418093"
LOGIN_CANARY = "canary-login-ul2"


def last_seq() -> int:
    return AuditChainHead.objects.get(pk=1).last_seq


def events_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.unscoped.filter(seq__gt=before).order_by("seq"))


def stored_trail() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")
        return repr(cursor.fetchall())


def summary(event: AuditEvent) -> tuple[Any, ...]:
    return (event.action, event.actor_id, event.object_id, event.outcome, event.details)


def with_totp(username: str, north: Any) -> tuple[User, str]:
    secret = generate_totp_secret()
    user = make_user(username, north, Role.CASEWORKER, mfa=False)
    TOTP.activate(user, secret)
    return user, secret


def at_second_step(login: str) -> Client:
    client = Client()
    response = client.post(LOGIN, {"login": login, "password": PASSWORD})
    assert response["Location"] == SECOND_STEP
    return client


def test_a_wrong_code_at_the_second_step_is_audited_without_the_code(north):
    user, _secret = with_totp("twostep", north)
    client = at_second_step("twostep")
    before = last_seq()
    assert client.post(SECOND_STEP, {"code": WRONG_CODE}).status_code == 200
    [event] = events_since(before)
    assert summary(event) == (
        "auth.second_factor_failed",
        None,
        str(user.pk),
        "refused",
        {"reauthentication": False},
    )
    assert event.object_type == "accounts.user"
    assert WRONG_CODE not in stored_trail()


def test_a_wrong_recovery_code_is_audited_the_same_way(north):
    user, _secret = with_totp("recovering", north)
    RecoveryCodes.activate(user)
    client = at_second_step("recovering")
    before = last_seq()
    client.post(SECOND_STEP, {"code": "deadbeef"})
    assert [summary(event) for event in events_since(before)] == [
        ("auth.second_factor_failed", None, str(user.pk), "refused", {"reauthentication": False})
    ]
    assert "deadbeef" not in stored_trail()


def test_a_right_code_writes_no_refusal(north):
    _user, secret = with_totp("twostep", north)
    client = at_second_step("twostep")
    before = last_seq()
    assert client.post(SECOND_STEP, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "auth.second_factor_failed" not in [event.action for event in events_since(before)]


def test_a_wrong_code_asked_again_before_a_sensitive_change_is_audited_as_the_user(north):
    user, _secret = with_totp("twostep", north)
    client = client_for(user)
    before = last_seq()
    response = client.post(reverse("mfa_reauthenticate"), {"code": WRONG_CODE})
    assert response.status_code == 200
    assert [summary(event) for event in events_since(before)] == [
        ("auth.second_factor_failed", user.pk, str(user.pk), "refused", {"reauthentication": True})
    ]


def test_every_password_attempt_refused_by_the_lockout_is_audited(settings, victor):
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        Client().post(LOGIN, {"login": "victor", "password": "guessing"})
    before = last_seq()
    # Even the right password, by e-mail address: the lockout is per account.
    for login in ("victor", "VICTOR@example.org"):
        response = Client().post(LOGIN, {"login": login, "password": PASSWORD})
        assert "_auth_user_id" not in response.wsgi_request.session
    assert [summary(event) for event in events_since(before)] == [
        ("auth.login_locked_out", None, str(victor.pk), "refused", {"known_account": True})
    ] * 2
    assert PASSWORD not in stored_trail()


def test_a_locked_out_unknown_login_is_audited_without_the_login(settings, db):
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        Client().post(LOGIN, {"login": LOGIN_CANARY, "password": "guessing"})
    before = last_seq()
    Client().post(LOGIN, {"login": LOGIN_CANARY, "password": "guessing"})
    assert [summary(event) for event in events_since(before)] == [
        ("auth.login_locked_out", None, "", "refused", {"known_account": False})
    ]
    assert LOGIN_CANARY not in stored_trail().lower()


def test_codes_refused_by_the_lockout_are_audited_even_the_right_one(settings, north):
    user, secret = with_totp("twostep", north)
    client = at_second_step("twostep")
    before = last_seq()
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        client.post(SECOND_STEP, {"code": WRONG_CODE})
    response = client.post(SECOND_STEP, {"code": pyotp.TOTP(secret).now()})
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/o/north/")["Location"].startswith(LOGIN)
    actions = [event.action for event in events_since(before)]
    assert actions == ["auth.second_factor_failed"] * settings.HAVEN_LOGIN_ATTEMPTS + [
        "auth.second_factor_locked_out"
    ]
    assert summary(events_since(before)[-1]) == (
        "auth.second_factor_locked_out",
        None,
        str(user.pk),
        "refused",
        {"reauthentication": False},
    )


def test_the_dpo_sees_the_refused_steps_against_their_staff(settings, dana, north):
    with_totp("twostep", north)
    client = at_second_step("twostep")
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS + 1):
        client.post(SECOND_STEP, {"code": WRONG_CODE})
    seen = {event.action for event in audit_events_for(north, {"action": "auth.second_factor"})}
    assert seen == {"auth.second_factor_failed", "auth.second_factor_locked_out"}


BAD_KEY_ANSWER = '{"id": "canary-key-answer", "type": "public-key"}'


def test_a_refused_security_key_at_the_second_step_is_audited(north):
    # allauth sends no signal when a key's answer is refused, as it does for a code.
    user, _secret = with_totp("keyholder", north)
    client = at_second_step("keyholder")
    before = last_seq()
    assert client.post(SECOND_STEP, {"credential": BAD_KEY_ANSWER}).status_code == 200
    assert [summary(event) for event in events_since(before)] == [
        ("auth.second_factor_failed", None, str(user.pk), "refused", {"reauthentication": False})
    ]
    assert "canary-key-answer" not in stored_trail()


def test_a_refused_security_key_asked_again_is_audited_as_the_user(north):
    from allauth.mfa.models import Authenticator

    user, _secret = with_totp("keyholder", north)
    # Only so that a key is offered: the answer below is refused before any key is read.
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key", "credential": {}}
    )
    client = client_for(user)
    before = last_seq()
    client.post(reverse("mfa_reauthenticate_webauthn"), {"credential": BAD_KEY_ANSWER})
    assert [summary(event) for event in events_since(before)] == [
        ("auth.second_factor_failed", user.pk, str(user.pk), "refused", {"reauthentication": True})
    ]


def test_a_malformed_passkey_answer_at_login_is_refused_not_a_server_error(db):
    # allauth's own parsing let a missing "rawId" through as a KeyError: a 500 for anyone.
    client = Client()
    client.get(reverse("mfa_login_webauthn"))
    response = client.post(reverse("mfa_login_webauthn"), {"credential": BAD_KEY_ANSWER})
    # Back to the login page, with the refusal as a message, as allauth answers a wrong key.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")

"""Logging in: Argon2 hashes, lockout without enumeration, MFA enforcement, idle expiry."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haven import env
from haven import settings as haven_settings
from haven.accounts.middleware import RENEW_AFTER_SECONDS, SESSION_RENEWED_KEY
from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.organisations.models import Organisation
from tests.conftest import PASSWORD, bearer, client_for, make_user

DASHBOARD = "/o/north/"
LOGIN = "/accounts/login/"


def api_headers(user: User) -> dict[str, Any]:
    return bearer(user)


def log_in(client: Client, login: str, password: str = PASSWORD) -> Any:
    return client.post(LOGIN, {"login": login, "password": password})


def login_errors(response: Any) -> list[str]:
    return [str(error) for error in response.context["form"].non_field_errors()]


def test_passwords_are_hashed_with_argon2_by_the_real_settings(settings, north):
    # The suite swaps in MD5 for speed; undo that here to test what production runs.
    settings.PASSWORD_HASHERS = haven_settings.PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert make_password(PASSWORD).startswith("argon2$")

    user = make_user("hashed", north, Role.VIEWER, mfa=False)
    assert user.password.startswith("argon2$")
    response = log_in(Client(), "hashed")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_viewer_logs_in_with_a_password_and_reaches_the_dashboard(victor):
    client = Client()
    response = log_in(client, "victor")
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.redirect_chain[-1][0] == DASHBOARD
    assert b"North Shelter" in response.content


def test_a_wrong_password_is_refused_with_the_same_message_as_an_unknown_username(victor):
    existing = log_in(Client(), "victor", "not the password")
    missing = log_in(Client(), "nobody-here", "not the password")
    assert existing.status_code == missing.status_code == 200
    assert login_errors(existing) == login_errors(missing)
    assert login_errors(existing)
    assert "_auth_user_id" not in existing.wsgi_request.session


def test_repeated_failures_lock_the_login_even_with_the_right_password(settings, victor):
    client = Client()
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        response = log_in(client, "victor", "guessing")
        assert response.status_code == 200
    locked = log_in(Client(), "victor", PASSWORD)
    assert locked.status_code == 200
    assert "_auth_user_id" not in locked.wsgi_request.session
    assert any("Too many failed login attempts" in error for error in login_errors(locked))
    assert Client().get(DASHBOARD).status_code == 302


def test_the_lockout_counts_per_account_whichever_login_names_it(settings, victor):
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        log_in(Client(), "victor", "guessing")
    # The e-mail address names the same account: no fresh allowance of guesses there.
    by_address = log_in(Client(), "VICTOR@example.org", PASSWORD)
    assert "_auth_user_id" not in by_address.wsgi_request.session
    assert any("Too many failed login attempts" in error for error in login_errors(by_address))


def test_a_locked_out_nonexistent_username_answers_exactly_like_an_existing_one(settings, victor):
    for login in ("victor", "ghost"):
        for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
            log_in(Client(), login, "guessing")
    existing = log_in(Client(), "victor", "guessing")
    missing = log_in(Client(), "ghost", "guessing")
    assert existing.status_code == missing.status_code == 200
    assert login_errors(existing) == login_errors(missing)
    assert any("Too many failed login attempts" in error for error in login_errors(missing))


def test_the_lockout_is_per_login_so_other_users_can_still_log_in(settings, victor, adam):
    for _attempt in range(settings.HAVEN_LOGIN_ATTEMPTS):
        log_in(Client(), "victor", "guessing")
    assert log_in(Client(), "adam").status_code == 302


def test_a_caseworker_without_a_second_factor_is_sent_to_mfa_setup(north):
    make_user("newcase", north, Role.CASEWORKER, mfa=False)
    client = Client()
    assert log_in(client, "newcase").status_code == 302
    activate = reverse("mfa_activate_totp")
    for path in (DASHBOARD, reverse("account_settings"), "/o/north/staff/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == activate, path
    response = client.get("/", follow=True)
    assert [url for url, _status in response.redirect_chain][1] == activate
    assert b"Set up two-factor authentication" in response.content
    # allauth asks for the password again before any change to the second factors.
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == activate
    assert b"authenticator_secret" in response.content


def test_the_api_refuses_a_persons_seeing_role_without_a_second_factor(north):
    officer = make_user("newdpo", north, Role.DATA_PROTECTION_OFFICER, mfa=False)
    headers: dict[str, Any] = bearer(officer)
    response = Client().get("/api/orgs/north/audit", **headers)
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]

    TOTP.activate(officer, generate_totp_secret())
    assert Client().get("/api/orgs/north/audit", **headers).status_code == 200


def test_a_caseworker_without_a_second_factor_is_refused_by_the_api(north):
    caseworker = make_user("apicase", north, Role.CASEWORKER, mfa=False)
    response = Client().get("/api/orgs/north/staff", **api_headers(caseworker))
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_a_viewer_reaches_the_dashboard_without_a_second_factor(victor):
    assert not Authenticator.objects.filter(user=victor).exists()
    response = client_for(victor).get(DASHBOARD)
    assert response.status_code == 200
    assert b"demo-banner" not in response.content


def test_the_demo_waives_mfa_and_says_so_on_every_page(settings, north):
    caseworker = make_user("democase", north, Role.CASEWORKER, mfa=False)
    settings.HAVEN_DEMO = True
    response = client_for(caseworker).get(DASHBOARD)
    assert response.status_code == 200
    assert b'class="demo-banner"' in response.content
    assert b"two-factor authentication requirement is waived" in response.content
    assert b'class="demo-banner"' in Client().get(LOGIN).content


def test_without_the_demo_there_is_no_banner_and_no_waiver(north):
    caseworker = make_user("realcase", north, Role.CASEWORKER, mfa=False)
    response = client_for(caseworker).get(DASHBOARD)
    assert response.status_code == 302
    assert b"demo-banner" not in Client().get(LOGIN).content


def test_a_user_with_totp_must_pass_the_second_step_before_the_dashboard(north):
    secret = generate_totp_secret()
    caseworker = make_user("twostep", north, Role.CASEWORKER, mfa=False)
    TOTP.activate(caseworker, secret)
    client = Client()

    response = log_in(client, "twostep")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone does not sign anyone in.
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)

    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_a_recovery_code_also_passes_the_second_step(north):
    caseworker = make_user("recover", north, Role.CASEWORKER)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(caseworker).get_unused_codes()[0]
    client = Client()
    assert log_in(client, "recover")["Location"] == reverse("mfa_authenticate")
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(DASHBOARD).status_code == 200


def test_logging_out_ends_the_session(victor):
    client = Client()
    log_in(client, "victor")
    assert client.get(DASHBOARD).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(DASHBOARD)["Location"].startswith(LOGIN)


def test_idle_expiry_follows_the_setting(settings):
    assert (
        60 * env.integer("HAVEN_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=720)
        == settings.SESSION_COOKIE_AGE
    )


def _age_session(client: Client, *, renewed_seconds_ago: int, expires_in: timedelta) -> Session:
    """Make the client's session look last renewed a while ago, close to its deadline."""
    store = client.session
    store[SESSION_RENEWED_KEY] = int(time.time()) - renewed_seconds_ago
    store.save()
    session = Session.objects.get(session_key=store.session_key)
    session.expire_date = timezone.now() + expires_in
    session.save()
    return session


def test_a_request_a_minute_after_the_last_renewal_pushes_the_idle_deadline_forward(victor):
    client = client_for(victor)
    nearly_expired = timedelta(seconds=30)
    session = _age_session(
        client, renewed_seconds_ago=RENEW_AFTER_SECONDS, expires_in=nearly_expired
    )

    assert client.get(DASHBOARD).status_code == 200
    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(minutes=29)


def test_a_page_refreshing_itself_does_not_keep_the_session_alive(victor):
    client = client_for(victor)
    session = _age_session(
        client, renewed_seconds_ago=RENEW_AFTER_SECONDS, expires_in=timedelta(seconds=30)
    )
    assert client.get(DASHBOARD, headers={"X-Haven-Background": "1"}).status_code == 200
    deadline = Session.objects.get(pk=session.pk).expire_date
    assert deadline == session.expire_date
    assert client.get(DASHBOARD).status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date > deadline


def test_requests_within_a_minute_of_the_last_renewal_write_no_session(victor):
    client = client_for(victor)
    assert client.get(DASHBOARD).status_code == 200  # renews: a new login has no stamp
    session = Session.objects.get(session_key=client.session.session_key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    writes = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
    ]
    assert writes == []
    assert Session.objects.get(pk=session.pk).expire_date == session.expire_date


def test_an_idle_session_has_expired_and_the_user_must_log_in_again(victor):
    client = client_for(victor)
    assert client.get(DASHBOARD).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_sessions_are_read_by_key_and_only_while_they_live(victor, settings):
    from haven.accounts.sessions import SessionStore

    assert settings.SESSION_ENGINE == "haven.accounts.sessions"
    client = client_for(victor)
    key = client.session.session_key
    assert SessionStore(key).load()["_auth_user_id"] == str(victor.pk)
    assert SessionStore("x" * 32).load() == {}, "an unknown key reads an empty session"
    stale = SessionStore(key)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    assert stale.load() == {}, "a session at its deadline is over"
    assert stale.session_key is None, "and its key is forgotten, as Django does"


def test_the_session_cookie_dies_with_the_browser(victor, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client = Client()
    response = log_in(client, "victor")
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"]
    assert cookie["httponly"]


def test_nobody_can_sign_up_without_an_invitation(north: Organisation) -> None:
    before = User.objects.count()
    response = Client().post(
        reverse("account_signup"),
        {
            "email": "walkin@example.org",
            "username": "walkin",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code in (200, 403)
    assert User.objects.count() == before


def test_the_login_page_offers_no_sign_up_but_does_offer_passkeys(db: None) -> None:
    response = Client().get(LOGIN)
    assert response.status_code == 200
    assert b"sign up" not in response.content.lower()
    assert b"by invitation" in response.content
    assert b'id="passkey_login"' in response.content


def test_a_page_reads_the_users_roles_and_second_factor_in_one_query(carol):
    client = client_for(carol)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    mine = f'"user_id" = {carol.pk}'
    reads = [
        q["sql"] for q in queries if mine in q["sql"] and '"accounts_roleassignment"' in q["sql"]
    ]
    assert len(reads) == 1, reads
    assert "mfa_authenticator" in reads[0]
    assert not [q["sql"] for q in queries if q["sql"].startswith('SELECT 1 AS "a" FROM "mfa')]


def test_a_role_taken_away_stops_working_on_the_next_request(carol, north):
    client = client_for(carol)
    assert client.get("/o/north/work/").status_code == 200
    carol.role_assignments.all().delete()
    assert client.get("/o/north/work/").status_code == 404


def test_a_session_cannot_add_or_choose_another_e_mail_address(victor):
    client = client_for(victor)
    for action in ("action_add", "action_primary"):
        response = client.post("/accounts/email/", {"email": "thief@example.net", action: ""})
        assert response.status_code == 404
    assert client.get("/accounts/email/").status_code == 404
    victor.refresh_from_db()
    assert victor.email == "victor@example.org"


def test_a_password_reset_request_by_anyone_does_not_stop_enrolling_a_second_factor(north):
    make_user("newcomer", north, Role.CASEWORKER, mfa=False)
    Client().post(reverse("account_reset_password"), {"email": "newcomer@example.org"})
    client = Client()
    assert log_in(client, "newcomer").status_code == 302
    activate = reverse("mfa_activate_totp")
    asked = client.get(activate, follow=True)
    # allauth asks for the password again, then shows the setup page (it refused it before,
    # "until you have verified your email address").
    page = client.post(asked.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == activate
    assert b"authenticator_secret" in page.content


def test_every_change_to_the_second_factors_is_on_the_accounts_trail(victor):
    from allauth.mfa.signals import authenticator_added, authenticator_removed

    from haven.privacy.models import AuditEvent

    totp = TOTP.activate(victor, generate_totp_secret()).instance
    authenticator_added.send(sender=Authenticator, request=None, user=victor, authenticator=totp)
    authenticator_removed.send(sender=Authenticator, request=None, user=victor, authenticator=totp)
    events = AuditEvent.unscoped.filter(object_id=str(victor.pk), action__startswith="auth.second")
    assert [(e.action, e.details) for e in events.order_by("seq")] == [
        ("auth.second_factor_added", {"type": "totp"}),
        ("auth.second_factor_removed", {"type": "totp"}),
    ]

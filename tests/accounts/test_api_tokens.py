"""Personal API tokens made on My account: an end date, the password asked again, an
e-mail, the secret shown once, and no token outliving a new password."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from haven.accounts import actions, tasks
from haven.accounts.models import ApiToken, User
from haven.casework.models import OrganisationSettings
from haven.privacy.models import AuditEvent
from tests.conftest import PASSWORD, client_for

NEW_PASSWORD = "a brand new passphrase 2026"
SETTINGS = "/account/"
CREATE = "/account/tokens/"


def reauthenticated(user: User) -> Client:
    """A signed-in client that has just given its password again."""
    client = client_for(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def token_events(user: User, action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(actor=user, action=action).order_by("seq"))


def api_me(secret: str) -> int:
    return Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def new_secret_on(page: str) -> str | None:
    found = re.search(r'<code id="new-token">(haven_[^<]+)</code>', page)
    return found.group(1) if found else None


# --- the end date --------------------------------------------------------------------------


def test_the_form_offers_a_lifetime_of_90_days_by_default_and_a_year_at_most(victor):
    form = client_for(victor).get(SETTINGS).context["token_form"]
    field = form.fields["lifetime_days"]
    assert form["lifetime_days"].value() == 90
    assert max(value for value, _label in field.choices) == 365


def test_a_token_made_on_my_account_stops_working_at_the_end_of_its_lifetime(victor):
    client = reauthenticated(victor)
    response = client.post(CREATE, {"name": "nightly export", "lifetime_days": "30"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=victor)
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=5)
    (event,) = token_events(victor, "api_token.created")
    assert event.details == {"lifetime_days": 30}


def test_a_lifetime_longer_than_a_year_is_refused_and_makes_nothing(victor):
    response = reauthenticated(victor).post(CREATE, {"name": "forever", "lifetime_days": "3650"})
    assert response.status_code == 400
    assert "lifetime_days" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()
    assert not token_events(victor, "api_token.created")


def test_the_action_refuses_a_lifetime_beyond_a_year_or_under_a_day(victor):
    for lifetime in (timedelta(days=366), timedelta(hours=1)):
        with pytest.raises(ValidationError):
            actions.create_api_token(actor=victor, name="x", lifetime=lifetime)
    assert not ApiToken.objects.exists()


def test_an_account_without_any_role_makes_no_token(victor):
    victor.role_assignments.all().delete()
    with pytest.raises(ValidationError, match="Only staff"):
        actions.create_api_token(actor=victor, name="kept for later")
    assert not ApiToken.objects.exists()


def test_without_a_lifetime_the_action_gives_90_days(victor):
    token, _secret = actions.create_api_token(actor=victor, name="script")
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=5)


def test_an_expired_token_is_shown_as_expired_and_can_be_removed(victor):
    token, secret = actions.create_api_token(actor=victor, name="old script")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=2))
    assert api_me(secret) == 401
    client = client_for(victor)
    page = client.get(SETTINGS).content.decode()
    assert "old script" in page
    assert "Expired on" in page
    assert "Remove" in page
    response = client.post(reverse("api_token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "old script" not in client.get(SETTINGS).content.decode()
    (event,) = token_events(victor, "api_token.revoked")
    assert event.details == {"expired": True}


def test_a_working_token_shows_the_day_it_stops_working(victor):
    _token, _secret = actions.create_api_token(actor=victor, name="script")
    page = client_for(victor).get(SETTINGS).content.decode()
    assert "Works until" in page
    assert "Expired on" not in page
    assert "Revoke" in page


def test_a_revoked_token_cannot_be_revoked_again(victor):
    token, _secret = actions.create_api_token(actor=victor, name="script")
    client = client_for(victor)
    path = reverse("api_token_revoke", kwargs={"token_id": token.pk})
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 404
    assert len(token_events(victor, "api_token.revoked")) == 1


# --- the password asked again ----------------------------------------------------------------


def test_a_signed_in_session_alone_cannot_make_a_token(victor):
    client = client_for(victor)
    response = client.post(CREATE, {"name": "stolen session", "lifetime_days": "90"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiToken.objects.exists()


def test_the_token_is_made_once_the_password_is_given_again(victor):
    client = client_for(victor)
    asked = client.post(CREATE, {"name": "reporting script", "lifetime_days": "180"})
    wrong = client.post(asked["Location"], {"password": "not my password"})
    assert wrong.status_code == 200
    assert not ApiToken.objects.exists()
    response = client.post(asked["Location"], {"password": PASSWORD}, follow=True)
    token = ApiToken.objects.get(user=victor)
    assert token.name == "reporting script"
    assert token.expires_at is not None
    assert abs(token.expires_at - (timezone.now() + timedelta(days=180))) < timedelta(minutes=5)
    secret = new_secret_on(response.content.decode())
    assert secret is not None
    assert api_me(secret) == 200


def test_bad_input_is_refused_without_asking_for_the_password(victor):
    response = client_for(victor).post(CREATE, {"name": "", "lifetime_days": "90"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- the secret shown once -----------------------------------------------------------------


def test_the_secret_is_shown_once_after_a_redirect_so_a_reload_makes_no_second_token(victor):
    client = reauthenticated(victor)
    response = client.post(CREATE, {"name": "script", "lifetime_days": "90"})
    assert response.status_code == 302
    assert response["Location"].startswith(SETTINGS)
    assert b"haven_" not in response.content
    first = client.get(SETTINGS).content.decode()
    secret = new_secret_on(first)
    assert secret is not None
    assert api_me(secret) == 200
    assert secret not in client.get(SETTINGS).content.decode()
    assert ApiToken.objects.filter(user=victor).count() == 1


# --- the creation event and the e-mail -------------------------------------------------------


def test_the_creation_event_records_the_address_it_came_from(victor):
    reauthenticated(victor).post(
        CREATE, {"name": "script", "lifetime_days": "90"}, REMOTE_ADDR="198.51.100.7"
    )
    (event,) = token_events(victor, "api_token.created")
    assert event.ip_address == "198.51.100.7"


def test_the_user_is_told_by_e_mail_of_a_new_token_without_its_secret(
    victor, django_capture_on_commit_callbacks
):
    client = reauthenticated(victor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CREATE, {"name": "nightly export", "lifetime_days": "7"})
    secret = new_secret_on(client.get(SETTINGS).content.decode())
    assert secret is not None
    (message,) = mail.outbox
    assert message.to == [victor.email]
    assert "API token" in message.subject
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    for body in (str(message.body), str(html)):
        assert "nightly export" in body
        assert "/account/" in body
        assert secret not in body


def test_the_e_mail_is_in_the_users_language(victor, django_capture_on_commit_callbacks):
    victor.preferred_language = "fr"
    victor.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_api_token(actor=victor, name="script")
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "fr"


def test_the_e_mail_gives_the_time_in_the_first_organisations_zone_and_names_it(victor, north):
    # 11:30 UTC on 9 March is already 10 March, 00:30, in Auckland (NZDT, UTC+13).
    made = datetime(2026, 3, 9, 11, 30, tzinfo=UTC)
    with scopes_disabled():
        OrganisationSettings.objects.create(organisation=north, time_zone="Pacific/Auckland")
    token, _secret = actions.create_api_token(actor=victor, name="script")
    ApiToken.objects.filter(pk=token.pk).update(created_at=made)
    tasks.send_api_token_notice.call(token.pk)
    (message,) = mail.outbox
    local = timezone.localtime(made, zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert isinstance(message, EmailMultiAlternatives)
    for body in (str(message.body), str(message.alternatives[0][0])):
        assert f"on {date_format(local, 'DATETIME_FORMAT')} (NZDT, UTC+13)." in body


def test_without_a_zone_of_its_own_the_e_mail_says_the_time_is_utc(victor):
    token, _secret = actions.create_api_token(actor=victor, name="script")
    tasks.send_api_token_notice.call(token.pk)
    (message,) = mail.outbox
    assert f"on {date_format(token.created_at, 'DATETIME_FORMAT')} (UTC)." in message.body


def test_nobody_is_written_to_for_an_account_without_an_address(
    victor, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=victor.pk).update(email="")
    victor.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_api_token(actor=victor, name="script")
    assert not mail.outbox


# --- a new password revokes every token ------------------------------------------------------


def test_changing_the_password_revokes_every_token_and_says_so(victor):
    _token, secret = actions.create_api_token(actor=victor, name="script")
    _other, other = actions.create_api_token(actor=victor, name="backup")
    client = client_for(victor)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert api_me(secret) == 401
    assert api_me(other) == 401
    assert "2 API tokens were revoked" in response.content.decode()
    events = token_events(victor, "api_token.revoked")
    assert [event.details for event in events] == [{"reason": "password_changed"}] * 2
    assert not client.get(SETTINGS).context["tokens"]


def test_resetting_the_password_by_e_mail_revokes_every_token(victor):
    _token, secret = actions.create_api_token(actor=victor, name="script")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": victor.email})
    link = re.search(r"http://[^/\s]+(/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form = client.get(link.group(1), follow=True)
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert api_me(secret) == 401
    assert "API token was revoked" in response.content.decode()
    (event,) = token_events(victor, "api_token.revoked")
    assert event.details == {"reason": "password_reset"}


def test_a_new_password_with_no_tokens_says_nothing_of_tokens(victor):
    response = client_for(victor).post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert "API token" not in response.content.decode()
    assert not token_events(victor, "api_token.revoked")

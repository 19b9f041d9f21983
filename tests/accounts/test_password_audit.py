"""Resetting, changing and setting a password: the e-mail, and one event with nothing typed."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.privacy.models import AuditEvent
from tests.conftest import PASSWORD, client_for

NEW_PASSWORD = "a brand new passphrase 2026"


def password_events() -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action__startswith="auth.password_"))


def assert_one_event_without_secrets(action: str, user) -> None:
    (event,) = password_events()
    assert (event.action, event.actor, event.object_id) == (action, user, str(user.pk))
    assert event.details == {}


def test_a_password_reset_by_e_mail_is_audited(victor):
    client = Client()
    client.post(reverse("account_reset_password"), {"email": victor.email})
    link = re.search(r"http://[^/\s]+(/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form = client.get(link.group(1), follow=True)
    response = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert_one_event_without_secrets("auth.password_reset", victor)


def test_a_password_change_is_audited(victor):
    response = client_for(victor).post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.content
    assert_one_event_without_secrets("auth.password_changed", victor)


def test_setting_a_first_password_is_audited(victor):
    victor.set_unusable_password()
    victor.save()
    response = client_for(victor).post(
        reverse("account_set_password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302, response.content
    assert_one_event_without_secrets("auth.password_set", victor)


def test_the_password_reset_e_mail_names_haven_not_the_host(victor):
    Client().post(reverse("account_reset_password"), {"email": victor.email})
    (message,) = mail.outbox
    assert message.subject.startswith("[Haven] ")
    assert "Hello from Haven!" in str(message.body)
    assert "testserver" not in message.subject
    assert "from testserver" not in str(message.body)

"""The e-mails allauth sends for Haven: the password reset links to Haven's own address."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

BASE_URL = "https://haven.example.org"


def test_the_reset_link_uses_the_configured_address_not_the_requests_host(victor, settings):
    settings.HAVEN_BASE_URL = BASE_URL
    response = Client().post(reverse("account_reset_password"), {"email": victor.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    links = re.findall(r"https?://\S+", str(message.body))
    assert [link for link in links if "/password/reset/key/" in link]
    assert all(link.startswith(f"{BASE_URL}/") for link in links), links
    assert "testserver" not in str(message.body)
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_reset_link_opens_the_form_to_choose_a_new_password(victor, settings):
    settings.HAVEN_BASE_URL = BASE_URL
    client = Client()
    client.post(reverse("account_reset_password"), {"email": victor.email})
    body = str(mail.outbox[0].body)
    (link,) = re.findall(rf"{re.escape(BASE_URL)}(/\S+/password/reset/key/\S+/)", body)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    assert 'name="password1"' in page.content.decode()


def test_a_reset_for_an_address_without_an_account_sends_nothing(db):
    response = Client().post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []

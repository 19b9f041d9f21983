"""The local outbox keeps the e-mails a demo or development server would have sent."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from haven.accounts.actions import invite_user
from haven.accounts.models import Invitation
from haven.mail.compose import Attachment, render_templated, send_templated
from haven.mail.models import OutboxMessage

OUTBOX = "haven.mail.backends.OutboxBackend"


@pytest.fixture
def outbox_on(settings, db):
    settings.EMAIL_BACKEND = OUTBOX


def _invite(alice, north) -> Invitation:
    with scopes_disabled():
        return invite_user(
            actor=alice, organisation=north, email="new@example.org", roles=["viewer"]
        )


def test_an_invitation_sent_in_development_lands_in_the_outbox_with_both_parts(
    outbox_on, alice, north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(alice, north)
    message = OutboxMessage.objects.get()
    assert message.to == ["new@example.org"]
    assert message.subject == "You are invited to join North Shelter on Haven"
    assert "/invitations/" in message.text
    assert "<html" in message.html
    assert "/invitations/" in message.html
    assert message.headers["Auto-Submitted"] == "auto-generated"


def test_a_visitor_reads_the_outbox_finds_a_message_by_address_and_opens_its_link(
    outbox_on, alice, north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(alice, north)
    send_templated(
        "accounts/email/invitation",
        to=["other@example.org"],
        context={"invitation": invitation, "link": "http://x/"},
        language="en",
    )
    visitor = Client()
    listing = visitor.get(reverse("outbox"), {"to": "new@"})
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "new@example.org" in page
    assert "other@example.org" not in page
    assert "This Haven sends no e-mail" in page
    message = OutboxMessage.objects.get(to__icontains="new@")
    detail = visitor.get(reverse("outbox_message", kwargs={"message_id": message.pk}))
    assert detail.status_code == 200
    # The plain-text link is clickable, so the demo's confirmation flows can be followed.
    assert '<a href="http://127.0.0.1:8000/invitations/' in detail.content.decode()


def test_the_html_part_is_served_alone_under_a_policy_that_runs_nothing(
    outbox_on, alice, north, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(alice, north)
    message = OutboxMessage.objects.get()
    response = Client().get(reverse("outbox_message_html", kwargs={"message_id": message.pk}))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy


def test_attachments_are_kept_and_downloadable(outbox_on, alice, north):
    invitation = _invite(alice, north)
    send_templated(
        "accounts/email/invitation",
        to=["guest@example.org"],
        context={"invitation": invitation, "link": "http://x/"},
        language="en",
        attachments=[
            Attachment("event.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
        ],
    )
    message = OutboxMessage.objects.get(to=["guest@example.org"])
    assert message.attachments[0]["filename"] == "event.ics"
    assert base64.b64decode(message.attachments[0]["content"]).startswith(b"BEGIN:VCALENDAR")
    response = Client().get(
        reverse("outbox_attachment", kwargs={"message_id": message.pk, "index": 0})
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar"
    assert b"BEGIN:VCALENDAR" in response.content
    missing = reverse("outbox_attachment", kwargs={"message_id": message.pk, "index": 1})
    assert Client().get(missing).status_code == 404


def test_without_the_outbox_backend_the_outbox_does_not_exist(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.create(subject="left over", from_email="a@b", to=["c@d"], text="x")
    assert Client().get(reverse("outbox")).status_code == 404
    message = OutboxMessage.objects.get()
    assert (
        Client().get(reverse("outbox_message", kwargs={"message_id": message.pk})).status_code
        == 404
    )


@pytest.mark.parametrize("language", ["fr", "es"])
def test_an_e_mail_is_rendered_in_the_recipients_language_not_the_senders(language, alice, north):
    invitation = _invite(alice, north)
    with translation.override("en"):
        subject, text, html = render_templated(
            "accounts/email/invitation",
            {"invitation": invitation, "link": "http://x/"},
            language=language,
        )
    assert "invited" not in subject
    assert "Haven" in subject
    assert f'lang="{language}"' in html
    assert "http://x/" in text


def test_outbox_messages_keep_cc_and_bcc_recipients(outbox_on):
    mail.EmailMessage("s", "b", to=["a@example.org"], bcc=["b@example.org"]).send()
    assert OutboxMessage.objects.get().to == ["a@example.org", "b@example.org"]

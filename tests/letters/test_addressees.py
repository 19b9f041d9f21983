"""Addressees after signatures: what signatories are told and shown; withdrawn signers."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.letters import access, actions
from haven.letters.models import SignatureStatus
from tests.conftest import client_for
from tests.letters.conftest import html_part, requested


def _signed_by_north_and_outside(letter, ada, alice, north, capture):
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    with capture(execute=True):
        outside = requested(letter, name="Casa Afuera", country="AR", confirm=True)
        actions.decide_request(actor=ada, signature=outside, approve=True)
    letter.refresh_from_db()
    mail.outbox.clear()


def test_the_e_mail_says_what_changed_the_text_the_addressees_or_both(
    letter, ada, alice, north, django_capture_on_commit_callbacks
):
    _signed_by_north_and_outside(letter, ada, alice, north, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        letter = actions.update_letter(
            actor=ada, letter=letter, changes={"addressees": "The Minister"}
        )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert message.subject == (
            "The addressees of “Letter to the committee” changed (version 2)"
        )
        for part in (str(message.body), html_part(message)):
            assert "changed the addressees of the letter that" in part
            assert "the letter is now at version 2" in part
            assert "changed the text" not in part
    # North signs version 2 again: then only its text changes.
    signature = access.signature_of(letter, north)
    assert signature is not None
    actions.confirm_version(actor=alice, signature=signature)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_text(actor=ada, letter=letter, language="en", values={"body": "New."})
    told = {message.to[0]: message for message in mail.outbox}
    member = told["alice@example.org"]
    assert member.subject == "The text of “Letter to the committee” changed (version 3)"
    assert "changed the text that" in str(member.body)
    assert "addressees" not in str(member.body)
    assert "addressees" not in html_part(member)
    # The outside organisation signed version 1: its text and addressees both changed.
    outside = told["signer@example.org"]
    assert outside.subject == (
        "The text and addressees of “Letter to the committee” changed (version 3)"
    )
    for part in (str(outside.body), html_part(outside)):
        assert "changed the text and the addressees of the letter that" in part
        assert "now addressed to:" in part


def test_cleared_addressees_are_told_as_no_longer_named(
    letter, ada, alice, north, django_capture_on_commit_callbacks
):
    _signed_by_north_and_outside(letter, ada, alice, north, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        letter = actions.update_letter(actor=ada, letter=letter, changes={"addressees": ""})
    assert letter.version == 2
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        for part in (str(message.body), html_part(message)):
            assert "the letter no longer names any addressees" in part


def test_signatories_see_the_addressees_on_the_sign_and_request_pages(
    letter, ada, alice, north, django_capture_on_commit_callbacks
):
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    sign = reverse("letter_sign", kwargs={"org": "north", "letter_id": letter.pk})
    member = client_for(alice)
    assert "Delegates of the Standard Setting Committee" in member.get(sign).content.decode()
    request_page = reverse("letter_request", kwargs={"org": "coalition", "letter": letter.slug})
    html = Client().get(request_page).content.decode()
    assert "Delegates of the Standard Setting Committee" in html
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_letter(
            actor=ada, letter=letter, changes={"addressees": "The Minister\nThe Council"}
        )
    current = member.get(sign).content.decode()
    assert "The Minister<br>The Council" in current
    assert "Delegates of the Standard Setting Committee" not in current
    assert "The Minister<br>The Council" in Client().get(request_page).content.decode()
    # The version north signed went to the committee's delegates.
    old = member.get(sign, {"version": "1"}).content.decode()
    assert "Delegates of the Standard Setting Committee" in old
    assert "The Minister" not in old


def test_signers_of_withdrawn_signatures_are_forgotten_thirty_days_after_withdrawal(
    letter, alice, north
):
    from haven.letters.tasks import forget_stale_requests

    signature = actions.sign_as_organisation(
        actor=alice, letter=letter, organisation=north, signer_role="Director"
    )
    actions.withdraw_signature(actor=alice, signature=signature)
    withdrawn_at = signature.decided_at
    assert withdrawn_at is not None
    assert forget_stale_requests(withdrawn_at + timedelta(days=29)) == 0, "kept 30 days"
    signature.refresh_from_db()
    assert signature.signer_email == "alice@example.org"
    assert forget_stale_requests(withdrawn_at + timedelta(days=31)) == 1
    signature.refresh_from_db()
    assert (signature.signer_name, signature.signer_role, signature.signer_email) == ("", "", "")
    assert signature.forgotten_at is not None
    assert (signature.name, signature.status) == ("North Shelter", SignatureStatus.WITHDRAWN)
    # Signing again later is a new signature, untouched.
    again = actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    assert forget_stale_requests(timezone.now() + timedelta(days=60)) == 0
    again.refresh_from_db()
    assert again.signer_email == "alice@example.org"

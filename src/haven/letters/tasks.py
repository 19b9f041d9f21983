"""E-mails of the letters app, sent from tasks that load their rows and rebuild their links."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from django_tasks import task

from haven.letters import access, actions
from haven.letters.access import CONFIRM_DAYS, CONFIRM_SALT
from haven.letters.content import link_token
from haven.letters.models import (
    Letter,
    LetterStatus,
    LetterVersion,
    OrganisationSignature,
    SignatureStatus,
)
from haven.mail.compose import absolute_url, send_templated


def confirmation_link(signature: OrganisationSignature) -> str:
    letter = signature.letter
    return absolute_url(
        reverse(
            "letter_request_confirm",
            kwargs={
                "org": letter.owner.slug,
                "letter": letter.slug,
                "token": link_token(CONFIRM_SALT, signature.pk),
            },
        )
    )


def _signature(signature_id: str, *statuses: str) -> OrganisationSignature | None:
    with scopes_disabled():
        return (
            OrganisationSignature.objects.select_related("letter", "letter__owner")
            .filter(pk=signature_id, status__in=statuses)
            .first()
        )


def _title(letter: Letter, language: str) -> str:
    with scopes_disabled():
        return access.text_in(letter, language).title


def _public_link(letter: Letter, language: str) -> str:
    """The letter's public page in the signer's language once public, else no link."""
    if not access.is_public(letter):
        return ""
    with scopes_disabled():
        shown = access.text_in(letter, language).language
    return absolute_url(access.public_path(letter, shown))


def _reply_to(letter: Letter) -> list[str]:
    """The letter's contact address, where a signer's reply reaches the organisers."""
    return [letter.contact_email] if letter.contact_email else []


def _reading_link(signature: OrganisationSignature) -> str:
    """Where a signatory reads the letter's current text.

    A member reads it on its own organisation's page of the letter, where it also signs
    again; an outside organisation on the public page, or while signatures are open or
    closed on the request page, which shows the text; under embargo, nowhere yet.
    """
    letter = signature.letter
    if signature.signed_in_haven and signature.signatory is not None:
        return absolute_url(
            reverse("letter_sign", kwargs={"org": signature.signatory.slug, "letter_id": letter.pk})
        )
    if letter.status in (LetterStatus.OPEN, LetterStatus.CLOSED):
        return absolute_url(
            reverse("letter_request", kwargs={"org": letter.owner.slug, "letter": letter.slug})
        )
    return _public_link(letter, signature.language)


@task()
def send_request_confirmation(signature_id: str) -> None:
    """Ask the signer of an outside organisation's request to confirm it."""
    signature = _signature(signature_id, SignatureStatus.UNCONFIRMED)
    if signature is None:
        return
    send_templated(
        "letters/email/confirm_request",
        to=[signature.signer_email],
        context={
            "signature": signature,
            "title": _title(signature.letter, signature.language),
            "owner": signature.letter.owner.name,
            "link": confirmation_link(signature),
            "days": CONFIRM_DAYS,
        },
        language=signature.language,
        reply_to=_reply_to(signature.letter),
    )


@task()
def send_decision(signature_id: str) -> None:
    """Tell the signer whether the owner approved their organisation's signature."""
    signature = _signature(signature_id, SignatureStatus.APPROVED, SignatureStatus.REJECTED)
    if signature is None:
        return
    letter = signature.letter
    send_templated(
        "letters/email/decision",
        to=[signature.signer_email],
        context={
            "signature": signature,
            "approved": signature.status == SignatureStatus.APPROVED,
            "title": _title(letter, signature.language),
            "owner": letter.owner.name,
            "link": _public_link(letter, signature.language),
        },
        language=signature.language,
        reply_to=_reply_to(letter),
    )


@task()
def notify_text_changed(letter_id: int, version: int) -> int:
    """Tell every signatory that the text or addressees they signed changed; how many."""
    with scopes_disabled():
        letter = Letter.objects.select_related("owner").filter(pk=letter_id).first()
        if letter is None or letter.version != version:
            return 0
        # The owner changed the text itself: its own signature needs no word of it.
        signatures = list(
            OrganisationSignature.objects.filter(
                letter=letter, status__in=access.LIVE_SIGNATURES, version__lt=version
            )
            .exclude(signatory=letter.owner)
            .select_related("signatory")
        )
        # The texts and addressees each signatory signed for.
        kept = {
            number: (texts, addressees)
            for number, texts, addressees in LetterVersion.objects.filter(
                letter=letter
            ).values_list("number", "texts", "addressees")
        }
    current_texts = kept.get(version, (None, letter.addressees))[0]
    for signature in signatures:
        signature.letter = letter
        signed_texts, signed_to = kept.get(signature.version, (None, letter.addressees))
        addressees_changed = signed_to != letter.addressees
        # Without both versions' texts at hand, or when nothing seems to differ (a text
        # changed and changed back), say the text changed: it may have.
        text_changed = (
            signed_texts is None or current_texts is None or signed_texts != current_texts
        ) or not addressees_changed
        send_templated(
            "letters/email/text_changed",
            to=[signature.signer_email],
            context={
                "signature": signature,
                "title": _title(letter, signature.language),
                "owner": letter.owner.name,
                "version": version,
                "link": _reading_link(signature),
                "member": signature.signed_in_haven,
                "text_changed": text_changed,
                "addressees_changed": addressees_changed,
                "addressees": letter.addressees,
                # Without a contact address a reply would reach no one (no Reply-To).
                "reply": bool(_reply_to(letter)),
            },
            language=signature.language,
            reply_to=_reply_to(letter),
        )
    return len(signatures)


def forget_stale_requests(now: datetime | None = None) -> int:
    """Blank the signer's details of requests rejected or left unconfirmed too long ago,
    letter by letter (each audited); how many. Part of the nightly anonymisation run."""
    now = now or timezone.now()
    with scopes_disabled():
        letters = Letter.objects.select_related("owner").filter(
            pk__in=actions.stale_requests(now).values("letter")
        )
        return sum(actions.forget_requests(letter=letter, now=now) for letter in letters)

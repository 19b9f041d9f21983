"""Advocacy objects of one organisation, as the authorisation matrix names them in URLs."""

from __future__ import annotations

from haven.accounts.models import User
from haven.letters import access as letters_access
from haven.letters import actions as letters
from haven.organisations.models import Organisation
from haven.petitions import actions as petitions

ADVOCACY_PARAMETERS = (
    "letter_id",
    "letter",
    "category_id",
    "signature_id",
    "lang",
    "petition_id",
    "petition",
)


def advocacy_objects(organisation: Organisation, staff: User) -> dict[str, object]:
    """An open letter with a request to sign, and an open petition, of ``organisation``."""
    letter = letters.create_letter(
        actor=staff, owner=organisation, title="Matrix letter", body="Text.", language="en"
    )
    letter = letters.move_letter(actor=staff, letter=letter, move="open")
    request = letters.request_signature(
        letter=letter,
        name="Matrix Outside NGO",
        country="IT",
        signer_name="Matrix",
        signer_email="matrix@example.org",
    )
    assert request is not None
    petition = petitions.create_petition(
        actor=staff, owner=organisation, title="Matrix petition", body="Text.", language="en"
    )
    petitions.move_petition(actor=staff, petition=petition, move="open")
    return {
        "letter_id": letter.pk,
        "letter": letter.slug,
        "category_id": letters_access.categories_of(letter)[0].pk,
        "signature_id": request.pk,
        "lang": "fr",
        "petition_id": petition.pk,
        "petition": petition.slug,
    }

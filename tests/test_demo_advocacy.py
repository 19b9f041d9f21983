"""The demo's advocacy: the reference letter with 85 fictional signatories in three groups,
and an open petition."""

from __future__ import annotations

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from haven.demo import FRONTLINE, GLOBAL, build_demo
from haven.letters import access as letters
from haven.letters.models import Letter, LetterStatus
from haven.organisations.access import normalised_name
from haven.organisations.models import Organisation
from haven.petitions import access as petitions
from haven.petitions.models import Petition, PetitionStatus

pytestmark = pytest.mark.django_db


def test_the_demo_letter_is_published_with_85_signatories_in_three_groups() -> None:
    build_demo(1)
    with scopes_disabled():
        letter = Letter.objects.get(owner__slug=GLOBAL)
        assert letter.status == LetterStatus.PUBLISHED
        assert letters.approved_count(letter) == 85
        groups = letters.grouped_signatories(letter, "en")
        assert [(group.label, len(group.signatures)) for group in groups] == [
            ("Global Coalition Against Exploitation (fictional) and its members", 22),
            ("International networks", 7),
            ("Domestic NGOs", 56),
        ]
        assert letters.languages_of(letter) == ["en", "fr"]
    page = Client().get(f"/letters/{GLOBAL}/{letter.slug}/")
    assert page.status_code == 200
    assert "from 85 organisations" in page.content.decode()
    names = [(normalised_name(o.name), o.country.code) for o in Organisation.objects.all()]
    assert len(names) == len(set(names)), "no organisation is in the directory twice"


def test_the_demo_petition_is_open_with_confirmed_and_waiting_signatures() -> None:
    build_demo(1)
    with scopes_disabled():
        petition = Petition.objects.get(owner__slug=FRONTLINE)
    assert petition.status == PetitionStatus.OPEN
    assert petitions.confirmed_count(petition) == 35
    page = Client().get(f"/petitions/{FRONTLINE}/{petition.slug}/")
    assert page.status_code == 200
    assert "35 signatures" in page.content.decode()

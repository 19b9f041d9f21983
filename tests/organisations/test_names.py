"""Names compared as the same organisation: case, accents, punctuation and a leading article."""

from __future__ import annotations

import pytest

from haven.organisations.access import normalised_name, same_organisation
from tests.conftest import make_organisation


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("The Harbour Light Shelter", "Harbour Light Shelter"),
        ("the harbour-light shelter", "HARBOUR LIGHT SHELTER"),
        ("L'Étoile du Nord", "Etoile du Nord"),
        ("L’Étoile du Nord", "Étoile du Nord"),
        ("La Strada", "Strada"),
        ("Los Amigos de la Calle", "Amigos de la Calle"),
        ("Die Brücke", "Brücke"),
        ("De Regenboog Groep", "Regenboog Groep"),
        ("Het Huis", "Huis"),
    ],
)
def test_a_leading_article_does_not_make_another_organisation(one: str, other: str) -> None:
    assert normalised_name(one) == normalised_name(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Casa de la Mujer", "Casa la Mujer"),
        ("Theatre for Change", "atre for Change"),
        ("Lesbian Aid", "bian Aid"),
        ("L Foundation", "Foundation"),
        ("A Safe Place", "Safe Place"),
    ],
)
def test_only_a_whole_first_word_article_is_dropped(one: str, other: str) -> None:
    assert normalised_name(one) != normalised_name(other)


def test_a_name_that_is_only_an_article_keeps_it() -> None:
    assert normalised_name("The") == "the"


def test_the_directory_finds_an_organisation_under_its_name_with_an_article(db: None) -> None:
    shelter = make_organisation("harbour", name="Harbour Light Shelter", country="GB")
    assert same_organisation("The Harbour Light Shelter", "GB") == shelter
    assert same_organisation("The Harbour Light Shelter", "IE") is None

"""ISO 639 languages: their names in the reader's language and the menus that offer them."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from haven.organisations.language_fields import LanguageCodeField, LanguageMenuForm
from haven.organisations.languages import (
    grouped_language_choices,
    is_language_code,
    language_code_for,
    language_name,
    language_options,
    usual_languages,
)
from haven.organisations.models import Organisation


def test_names_follow_the_interface_language() -> None:
    assert language_name("fr") == "French"
    with translation.override("fr"):
        assert language_name("fr") == "Français"
    with translation.override("es"):
        assert language_name("de") == "Alemán"
    assert language_name("zz") == "zz"
    assert is_language_code("rom")
    assert not is_language_code("zz")


def test_the_usual_languages_are_the_organisation_s_then_the_interface_s() -> None:
    organisation = Organisation(slug="x", name="X", languages=["ro", "en", "zz", 3])
    with translation.override("fr"):
        assert usual_languages(organisation) == ["ro", "en", "fr"]
    assert usual_languages(Organisation(slug="y", name="Y", languages=[])) == ["en"]


def test_a_language_menu_opens_on_the_usual_languages_not_on_the_alphabet() -> None:
    (usual_label, usual), (all_label, everything) = grouped_language_choices(["ro", "en"])
    assert (str(usual_label), str(all_label)) == ("Usual languages", "All languages")
    assert usual == [("ro", "Romanian"), ("en", "English")]
    codes = [code for code, _name in everything]
    assert "fr" in codes
    assert not {"ro", "en"} & set(codes)
    assert len(codes) > 1000


def test_suggestions_list_the_usual_languages_first_then_the_short_list_once() -> None:
    organisation = Organisation(slug="x", name="X", languages=["ro", "pcm"])
    options = language_options(organisation)
    assert [code for code, _name in options[:3]] == ["ro", "pcm", "en"]
    codes = [code for code, _name in options]
    assert len(codes) == len(set(codes))
    # The ISO 639-1 languages and those in use, not the 7,000.
    assert "uk" in codes
    assert "alu" not in codes
    assert len(codes) < 400
    assert "bin" in [code for code, _name in language_options(organisation, in_use={"bin"})]


def test_a_language_is_found_by_its_code_or_its_name_in_the_reader_s_language() -> None:
    assert language_code_for("PCM") == "pcm"
    assert language_code_for("  Nigerian   pidgin ") == "pcm"
    with translation.override("fr"):
        assert language_code_for("roumain") == "ro"
        # Also in English, which an operator may type whatever the interface's language.
        assert language_code_for("Romanian") == "ro"
        # Two languages share this name in French: it names neither.
        assert language_code_for("Mongol") is None
    assert language_code_for("fra") is None
    assert language_code_for("Klingonese") is None
    assert language_code_for("") is None


def test_every_form_s_language_menu_opens_on_the_interface_language() -> None:
    from haven.events.forms import TextForm as EventTextForm
    from haven.letters.forms import AddLanguageForm
    from haven.news.forms import AddLanguageForm as NewsLanguageForm
    from haven.petitions.forms import PetitionCreateForm

    for form_class in (AddLanguageForm, EventTextForm, NewsLanguageForm, PetitionCreateForm):
        with translation.override("fr"):
            menu = str(form_class()["language"])
        # The first option is the one an untouched menu submits.
        first = menu.split("<option", 2)[1]
        assert 'value="fr"' in first, form_class
        assert "<optgroup" in menu
    assert AddLanguageForm({"language": "ro"}).is_valid()
    assert not AddLanguageForm({"language": "zz"}).is_valid()


def test_an_add_a_translation_menu_offers_only_the_languages_the_text_lacks() -> None:
    from haven.letters.forms import AddLanguageForm
    from haven.news.forms import AddLanguageForm as NewsLanguageForm

    for form_class in (AddLanguageForm, NewsLanguageForm):
        menu = str(form_class(existing=["en", "ro"])["language"])
        assert 'value="en"' not in menu
        assert 'value="ro"' not in menu
        # An untouched menu now means a language to add: French, the first left.
        assert 'value="fr"' in menu.split("<option", 2)[1]


def test_the_short_menu_calls_its_second_group_other_languages_not_all() -> None:
    from haven.organisations.languages import short_language_menu

    (_usual_label, _usual), (other_label, others) = short_language_menu(None)
    # Rarer languages are typed in the box beside the menu: this group is not all of them.
    assert str(other_label) == "Other languages"
    assert len(others) < 300


@pytest.mark.parametrize(
    "typed",
    [
        "pcm",
        "PCM",
        "Nigerian Pidgin",
        "nigerian pidgin",
        "Wolof",
        "roumain",
        "Mongol",
        "fra",
        "Klingonese",
        "x" * 81,
    ],
)
def test_the_box_beside_a_menu_takes_what_the_helpline_s_box_takes(typed: str) -> None:
    box = LanguageCodeField(datalist="languages")
    with translation.override("fr"):
        menu = LanguageMenuForm({"language": "fr", "other_language": typed})
        try:
            expected: str | None = box.clean(typed)
        except forms.ValidationError:
            expected = None
        valid = menu.is_valid()
    assert valid == (expected is not None)
    assert (menu.cleaned_data["language"] if valid else None) == expected

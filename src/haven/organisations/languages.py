"""ISO 639 languages, as organisations and events name them."""

from __future__ import annotations

import gettext
from collections.abc import Collection, Sequence
from functools import cache
from typing import TYPE_CHECKING

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from haven.organisations.models import Organisation


@cache
def _english_choices() -> list[tuple[str, str]]:
    choices = []
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None) or language.alpha_3
        if getattr(language, "type", "L") != "L" and not hasattr(language, "alpha_2"):
            continue
        choices.append((code, language.name))
    return choices


@cache
def _choices_in(interface_language: str) -> list[tuple[str, str]]:
    # pycountry ships the ISO 639 names translated (Debian's iso-codes catalogues).
    names = gettext.translation(
        "iso639-3", pycountry.LOCALES_DIR, languages=[interface_language], fallback=True
    )
    named = [(code, names.gettext(name)) for code, name in _english_choices()]
    return sorted(named, key=lambda pair: pair[1].casefold())


@cache
def _names_in(interface_language: str) -> dict[str, str]:
    return dict(_choices_in(interface_language))


def language_choices() -> list[tuple[str, str]]:
    """Every living ISO 639 language with a two-letter code, or a three-letter one if none,
    named and sorted in the interface's language."""
    return _choices_in(get_language() or "en")


def usual_languages(organisation: Organisation) -> list[str]:
    """The organisation's own languages, then the interface's: the likely choices."""
    codes = [code for code in organisation.languages or [] if isinstance(code, str)]
    interface = (get_language() or "en").split("-")[0]
    return [code for code in dict.fromkeys([*codes, interface]) if code in _known_codes()]


def language_options(organisation: Organisation) -> list[tuple[str, str]]:
    """Every language, the organisation's usual ones first (for a list of suggestions)."""
    usual = usual_languages(organisation)
    rest = [pair for pair in language_choices() if pair[0] not in usual]
    return [*((code, language_name(code)) for code in usual), *rest]


def grouped_language_choices(
    usual: Sequence[str], without: Collection[str] = ()
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices for a language menu: the usual languages in a group of their own, then all.

    A flat menu of some 7,000 languages opened on "'Are'are", and a text saved under it by
    mistake was public in the wrong language.
    """
    first = [(code, language_name(code)) for code in usual if code not in without]
    rest = [pair for pair in language_choices() if pair[0] not in usual and pair[0] not in without]
    return [(_("Usual languages"), first), (_("All languages"), rest)]


def language_menu(without: Collection[str] = ()) -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices for a form's language menu: the languages Haven speaks first, the
    interface's on top (so an untouched menu means it), then every other; ``without``
    leaves out those a text already has."""
    interface = (get_language() or "en").split("-")[0]
    spoken = [code for code, _name in settings.LANGUAGES]
    return grouped_language_choices(list(dict.fromkeys([interface, *spoken])), without)


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(code for code, _name in language_choices())


def is_language_code(code: str) -> bool:
    """Whether ``code`` is one of the ISO 639 codes Haven knows."""
    return code in _known_codes()


def language_name(code: str) -> str:
    """The language's name in the interface's language (the code if it is unknown)."""
    return _names_in(get_language() or "en").get(code, code)


def validate_language_codes(codes: object) -> None:
    """Refuse anything but a short list of known ISO 639 codes."""
    if not isinstance(codes, list) or len(codes) > 50:
        raise ValidationError(_("Give a list of at most 50 language codes."), code="invalid")
    unknown = [code for code in codes if not isinstance(code, str) or code not in _known_codes()]
    if unknown:
        raise ValidationError(
            _("Unknown language codes: %(codes)s") % {"codes": ", ".join(map(str, unknown[:5]))},
            code="unknown_language",
        )

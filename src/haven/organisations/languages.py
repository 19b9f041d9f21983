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


def short_language_menu(
    organisation: Organisation | None, in_use: Collection[str] = (), without: Collection[str] = ()
) -> list[tuple[str, list[tuple[str, str]]]]:
    """A language menu of some 200 options, not 7,000: the usual languages first (the
    interface's on top, so an untouched menu means it, then the organisation's and those
    Haven speaks), then the two-letter ISO 639-1 languages and those already in use;
    ``without`` leaves out those a text already has.

    Every ISO 639 language made each page that offered them weigh 300 KB, too much for a
    phone on a slow connection; a rarer language is typed instead
    (``haven.organisations.language_fields``).
    """
    interface = (get_language() or "en").split("-")[0]
    own = usual_languages(organisation) if organisation is not None else []
    spoken = [code for code, _name in settings.LANGUAGES]
    usual = [code for code in dict.fromkeys([interface, *own, *spoken]) if is_language_code(code)]
    (usual_label, first), (_all_label, rest) = grouped_language_choices(usual, without)
    shown = set(in_use) - set(without)
    short = [(code, name) for code, name in rest if len(code) == 2 or code in shown]
    # Not "All languages": the rest is typed in the box beside the menu.
    return [(usual_label, first), (_("Other languages"), short)]


def language_options(
    organisation: Organisation, in_use: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The short menu's languages in one list, the organisation's first: a datalist's
    suggestions, where nothing is chosen untouched and the interface's need not lead."""
    usual = usual_languages(organisation)
    short = [pair for _label, group in short_language_menu(organisation, in_use) for pair in group]
    return [
        *((code, language_name(code)) for code in usual),
        *(p for p in short if p[0] not in usual),
    ]


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(code for code, _name in language_choices())


def is_language_code(code: str) -> bool:
    """Whether ``code`` is one of the ISO 639 codes Haven knows."""
    return code in _known_codes()


@cache
def _codes_by_name(interface_language: str) -> dict[str, str | None]:
    codes: dict[str, str | None] = {}
    for code, name in _choices_in(interface_language):
        key = name.casefold()
        # A name two languages share (a few do in French and Spanish) names neither.
        codes[key] = None if key in codes else code
    return codes


def language_code_for(typed: str) -> str | None:
    """The code of a language typed as its ISO 639 code or its full name (in the
    interface's language or in English), None if it names no language or several."""
    text = " ".join(typed.split()).casefold()
    if text in _known_codes():
        return text
    names = _codes_by_name(get_language() or "en")
    if text in names:
        # Even a name two languages share here: "mongol" in French is not the English
        # "Mongol" of Papua New Guinea.
        return names[text]
    return _codes_by_name("en").get(text)


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

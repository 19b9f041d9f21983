"""ISO 639 languages, as organisations and events name them."""

from __future__ import annotations

from functools import cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@cache
def language_choices() -> list[tuple[str, str]]:
    """Every living ISO 639 language with a two-letter code, or a three-letter one if none."""
    choices = []
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None) or language.alpha_3
        if getattr(language, "type", "L") != "L" and not hasattr(language, "alpha_2"):
            continue
        choices.append((code, language.name))
    return sorted(choices, key=lambda pair: pair[1])


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(code for code, _name in language_choices())


def language_name(code: str) -> str:
    return dict(language_choices()).get(code, code)


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

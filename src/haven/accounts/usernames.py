"""What a username may be: Django's letters, digits and @ . + - _, written in one script.

A name that mixes scripts can copy another account's name letter for letter to the eye
("alice" with its "a" typed as the Cyrillic U+0430 beside the real "alice"), which the
case-insensitive uniqueness check cannot see. Full-width and other compatibility forms
need no rule here: Django folds them to plain letters (NFKC) before a name is stored or
compared.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import categories
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Digits 0-9, the signs a username may hold and combining accents belong to every script.
_NO_SCRIPT = frozenset({"COMMON", "INHERITED"})
# The scripts that Japanese, Chinese and Korean mix by nature, each also with Latin: the
# "highly restrictive" level of Unicode's security mechanisms (UTS #39, section 5.2).
_WRITING_SYSTEMS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


def mixed_scripts(name: str) -> list[str]:
    """The scripts a username mixes, by name ("Cyrillic", "Latin"); empty if it keeps to one."""
    scripts = {categories.alias(char) for char in unicodedata.normalize("NFKC", name)}
    scripts -= _NO_SCRIPT
    if len(scripts) < 2 or any(scripts <= system for system in _WRITING_SYSTEMS):
        return []
    return sorted(script.replace("_", " ").title() for script in scripts)


class UsernameValidator(UnicodeUsernameValidator):
    """Django's check of a username, then one script only (or one CJK writing system)."""

    def __call__(self, value: object) -> None:
        super().__call__(value)
        scripts = mixed_scripts(str(value))
        if scripts:
            raise ValidationError(
                _(
                    "This username mixes letters of different scripts (%(scripts)s), so it "
                    "could pass for someone else's: write it in one script."
                ),
                code="mixed_scripts",
                params={"scripts": ", ".join(scripts)},
            )

"""What a username may be: Django's letters, digits and @ . + - _, written in one script.

A name that mixes scripts can copy another account's name letter for letter to the eye
("alice" with its "a" typed as the Cyrillic U+0430 beside the real "alice"), which the
case-insensitive uniqueness check cannot see. Full-width and other compatibility forms
need no rule here: Django folds them to plain letters (NFKC) before a name is stored or
compared.

A name written wholly in another script can still look like an existing one ("pope"
typed in Cyrillic letters beside the Latin one): a new name whose confusable skeleton
(Unicode TR39) is an existing name's, or another account's e-mail address's, is refused
as well.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs import categories, confusables
from django.apps import apps
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


# The package writes right-to-left characters between two left-to-right marks.
_LRM = "\u200e"


@cache
def _prototypes() -> dict[str, str]:
    # The package keeps Unicode's confusables.txt (source -> prototype) both ways round:
    # a source's only partner is its prototype, a prototype lists all its sources. When a
    # prototype has a single source, the two name each other only, and either one can
    # stand for both.
    partners: dict[str, list[str]] = {}
    for char, entries in confusables.confusables_data.items():
        key = char.strip(_LRM)
        if key:
            partners.setdefault(key, []).extend(entry["c"].strip(_LRM) for entry in entries)
    prototypes = {}
    for char, others in partners.items():
        if len(char) != 1 or len(others) != 1 or not others[0]:
            continue
        other = others[0]
        single_pair = len(other) == 1 and len(partners.get(other, ())) == 1
        prototypes[char] = min(char, other) if single_pair else other
    return prototypes


def skeleton(text: str) -> str:
    """TR39's skeleton of a text: each character replaced by the one it is mistaken for."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in decomposed))


def look_alike_keys(name: str) -> frozenset[str]:
    """Skeletons of a name in either case: two names pass for each other if they share one."""
    # Logins ignore case, so "ABE" in Greek capitals passes for "abe" as the Latin one would.
    # Folded first, a capital I is a small i, no longer the l it looks like; folded after,
    # "VICTOR" is "vlctor": both ways are kept.
    name = unicodedata.normalize("NFKC", name)
    return frozenset({skeleton(skeleton(name).casefold()), skeleton(name.casefold())})


def is_look_alike_of_a_taken_name(name: str) -> bool:
    """Whether another account's username or e-mail address looks like this name (the
    account's own name is not another's)."""
    user_model = apps.get_model("accounts", "User")
    if len(name) > user_model._meta.get_field("username").max_length:
        # Refused for its length anyway (validators all run), and too long a pattern for
        # SQLite's case-insensitive comparison.
        return False
    keys = look_alike_keys(name)
    # No index can hold the skeleton of a name yet to come: staff accounts are few, so
    # every stored name is compared. A sign-in names an account by its username or its
    # address alike, so a username that is another's address would sign in, lock out and
    # put refusals on the trail of either account.
    others = user_model.objects.exclude(username__iexact=unicodedata.normalize("NFKC", name))
    return any(
        not keys.isdisjoint(look_alike_keys(taken))
        for names in others.values_list("username", "email").iterator()
        for taken in names
        if taken
    )


def mixed_scripts(name: str) -> list[str]:
    """The scripts a username mixes, by name ("Cyrillic", "Latin"); empty if it keeps to one."""
    scripts = {categories.alias(char) for char in unicodedata.normalize("NFKC", name)}
    scripts -= _NO_SCRIPT
    if len(scripts) < 2 or any(scripts <= system for system in _WRITING_SYSTEMS):
        return []
    return sorted(script.replace("_", " ").title() for script in scripts)


class UsernameValidator(UnicodeUsernameValidator):
    """Django's check of a username, one script only (or one CJK writing system), no look-alike."""

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
        # Said as it is, whichever it is: taken or close to taken, and never by whom.
        if is_look_alike_of_a_taken_name(str(value)):
            raise ValidationError(
                _("This username is taken or too close to one that is taken: choose another."),
                code="look_alike",
            )

"""The words an organisation uses for the people it supports; stored data stays neutral."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from haven.casework.models import Terminology

if TYPE_CHECKING:
    from haven.organisations.models import Organisation


def words_for(terminology: str) -> dict[str, str]:
    """Translated singular and plural for one terminology choice."""
    words: dict[str, tuple[str, str]] = {
        Terminology.SURVIVOR: (_("survivor"), _("survivors")),
        Terminology.SEX_WORKER: (_("sex worker"), _("sex workers")),
        Terminology.PERSON_IN_PROSTITUTION: (
            _("person in prostitution"),
            _("people in prostitution"),
        ),
        Terminology.CLIENT: (pgettext("person supported", "client"), _("clients")),
        Terminology.BENEFICIARY: (_("beneficiary"), _("beneficiaries")),
    }
    person, people = words.get(terminology, (_("person"), _("people")))
    return {
        "person": person,
        "people": people,
        "Person": person[:1].upper() + person[1:],
        "People": people[:1].upper() + people[1:],
    }


def people_words(organisation: Organisation) -> dict[str, str]:
    """The organisation's words for the people it supports: person, people, Person, People."""
    from haven.casework.access import settings_of

    return words_for(settings_of(organisation).terminology)

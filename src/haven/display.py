"""Values shown in long lists, formatted once per distinct value.

A list page of fifty rows repeats the same few dates, quantities and choice labels;
formatting each through Django's template filters costs tens of microseconds a time (a
``DateFormat`` object, a translation lookup, a localisation check). Dates are formatted
through a process-wide memo keyed by the value, the format, the language and the time
zone; a ``ListFormatter`` lives for one page and remembers everything else it formatted.

Loaded as the template library ``haven_display`` (settings.TEMPLATES ``libraries``):
``{{ case.follow_up_on|local_date:"SHORT_DATE_FORMAT" }}`` is ``|date`` with the memo.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import template
from django.db.models import Choices
from django.template.defaultfilters import floatformat
from django.utils import formats, timezone
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=4096)
def _formatted_date(value: datetime.date, format_name: str, language: str | None, zone: str) -> str:
    return str(formats.date_format(value, format_name))


@register.filter
def local_date(value: datetime.date | None, format_name: str = "DATE_FORMAT") -> str:
    """A date, or an aware datetime in the current time zone, in the locale's format."""
    if value is None:
        return ""
    zone = ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
        zone = str(value.tzinfo)
    return _formatted_date(value, format_name, get_language(), zone)


class ListFormatter:
    """Formats one page's values, each distinct value once."""

    def __init__(self) -> None:
        self._done: dict[Hashable, str] = {}

    def once(self, key: Hashable, make: Callable[[], Any]) -> str:
        """``make()`` as text, called only the first time ``key`` is asked for."""
        found = self._done.get(key)
        if found is None:
            found = self._done[key] = str(make())
        return found

    def date(self, value: datetime.date, format_name: str = "DATE_FORMAT") -> str:
        """As the ``local_date`` filter."""
        return local_date(value, format_name)

    def number(self, value: Decimal | int | None, digits: str) -> str:
        """As the ``floatformat`` filter with ``digits`` ("2", "-2", "2g")."""
        if value is None:
            return ""
        return self.once(("number", value, digits), lambda: floatformat(value, digits))

    def choice(self, choices: type[Choices], value: Any) -> str:
        """The translated label of a stored choice, or the value itself if unknown."""
        return self.once(
            ("choice", choices, value), lambda: dict(choices.choices).get(value, value)
        )

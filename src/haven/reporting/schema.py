"""The shape of a submission: its tables, their categories, and what a cell may hold.

The same shape serves the figures computed from casework, the form for entering them by
hand, the CSV/XLSX files members upload (columns ``table``, ``category``, ``value``) and
every export. Categories are HTCDS value names where the standard has them (see
``haven.casework.htcds``) and Haven's own neutral codes elsewhere; a blank fact counts as
"unrecorded" (or the standard's own "unknown").
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Literal

import pycountry
from django.utils.formats import get_format, number_format
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_countries import countries

from haven.casework.htcds import Exploitation, Gender, Sector, TraffickingStatus
from haven.casework.models import AgeBand
from haven.helpline.models import CallChannel, CallerType, CallTopic
from haven.services.access import OWN_SERVICE_CODE
from haven.services.catalogue import DEFAULT_SERVICES

Cell = tuple[str, str]
Figures = dict[Cell, Decimal]
Kind = Literal["count", "volume"]

LARGEST_VALUE = Decimal("99999999999999.99")
UNRECORDED = "unrecorded"


@dataclass(frozen=True)
class Table:
    key: str
    title: Promise
    section: str
    kind: Kind = "count"
    # Fixed categories as (code, label); None for an open set (see ``open_category``).
    categories: Callable[[], list[tuple[str, str]]] | None = None
    # Which open set: ISO 3166 countries, or "<service code>:<ISO 4217 currency>".
    open_category: Literal["country", "service_currency", ""] = ""
    # Counts of persons: noised under differential privacy before they leave a member.
    private: bool = False
    # Tables of one group count the same things, so they share their totals.
    group: str = ""
    # A volume table's cells are withheld wherever this count table's cells are.
    follows: str = ""
    # The one category of ``follows`` every cell follows, if not the same category.
    follows_category: str = ""
    decimals: int = 0
    # The HTCDS field the categories come from, for the HTCDS-shaped extract.
    htcds_field: str = ""

    @property
    def has_column_totals(self) -> bool:
        """Quantities of different units and money of different currencies do not add up."""
        return self.kind == "count"

    def category_codes(self) -> list[str]:
        return list(_category_codes(self.key))


def _choices(
    choices: Iterable[tuple[str, object]], *extra: tuple[str, object]
) -> Callable[[], list[tuple[str, str]]]:
    def listed() -> list[tuple[str, str]]:
        return [(str(code), str(label)) for code, label in (*choices, *extra)]

    return listed


def _services() -> list[tuple[str, str]]:
    return [(service.code, str(service.name)) for service in DEFAULT_SERVICES] + [
        (OWN_SERVICE_CODE, _("Other services (members' own)"))
    ]


_UNRECORDED = (UNRECORDED, gettext_lazy("Not recorded"))
_YES_NO = (
    ("yes", gettext_lazy("Yes")),
    ("no", gettext_lazy("No")),
    _UNRECORDED,
)

TABLES: tuple[Table, ...] = (
    Table(
        "persons.status",
        gettext_lazy("Persons supported, new and continuing"),
        "persons",
        categories=_choices(
            (("new", gettext_lazy("New in the period")), ("continuing", gettext_lazy("Continuing")))
        ),
        private=True,
        group="persons",
    ),
    Table(
        "persons.trafficking",
        gettext_lazy("Persons by trafficking situation"),
        "persons",
        categories=_choices(TraffickingStatus.choices, _UNRECORDED),
        private=True,
        group="persons",
        htcds_field="vic_TraffickingStatus",
    ),
    Table(
        "persons.sex_work",
        gettext_lazy("Persons in prostitution / sex work"),
        "persons",
        categories=_choices(_YES_NO),
        private=True,
        group="persons",
    ),
    Table(
        "persons.gender",
        gettext_lazy("Persons by sex / gender"),
        "persons",
        categories=_choices(Gender.choices),
        private=True,
        group="persons",
        htcds_field="prs_Gender",
    ),
    Table(
        "persons.age_band",
        gettext_lazy("Persons by age band"),
        "persons",
        categories=_choices(AgeBand.choices),
        private=True,
        group="persons",
    ),
    Table(
        "persons.citizenship",
        gettext_lazy("Persons by citizenship"),
        "persons",
        open_category="country",
        private=True,
        group="persons",
        htcds_field="prs_Citizenship",
    ),
    Table(
        "persons.sector",
        gettext_lazy("Persons by sector of exploitation"),
        "persons",
        categories=_choices(Sector.choices, _UNRECORDED),
        private=True,
        group="persons",
        htcds_field="vic_ForcedLabourIndustry",
    ),
    Table(
        "persons.exploitation",
        gettext_lazy("Persons by type of exploitation (up to two types each)"),
        "persons",
        categories=_choices(Exploitation.choices, ("none", gettext_lazy("None recorded"))),
        private=True,
        htcds_field="vic_TypeOfExploitation",
    ),
    Table(
        "services.deliveries",
        gettext_lazy("Services given"),
        "services",
        categories=_services,
    ),
    Table(
        "services.persons",
        gettext_lazy("Persons given each service"),
        "services",
        categories=_services,
    ),
    Table(
        "services.households",
        gettext_lazy("Households given each service"),
        "services",
        categories=_services,
    ),
    Table(
        "services.quantity",
        gettext_lazy("Quantities given, in each service's unit"),
        "services",
        kind="volume",
        categories=_services,
        follows="services.deliveries",
        decimals=2,
    ),
    Table(
        "services.amount",
        gettext_lazy("Money given, by service and currency"),
        "services",
        kind="volume",
        open_category="service_currency",
        follows="services.deliveries",
        decimals=2,
    ),
    Table(
        "reach.people",
        gettext_lazy("People reached through distributions and group sessions"),
        "reach",
        categories=_services,
    ),
    Table(
        "reach.households",
        gettext_lazy("Households reached through distributions"),
        "reach",
        categories=_services,
    ),
    Table(
        "calls.channel",
        gettext_lazy("Helpline calls by channel"),
        "calls",
        categories=_choices(CallChannel.choices),
        group="calls",
    ),
    Table(
        "calls.caller_type",
        gettext_lazy("Helpline calls by caller"),
        "calls",
        categories=_choices(CallerType.choices),
        group="calls",
    ),
    Table(
        "calls.topic",
        gettext_lazy("Helpline calls by topic (a call may have several)"),
        "calls",
        categories=_choices(CallTopic.choices),
    ),
    Table(
        "shelter.households",
        gettext_lazy("Households sheltered"),
        "shelter",
        categories=_choices((("households", gettext_lazy("Households")),)),
    ),
    Table(
        "shelter.nights",
        gettext_lazy("Shelter nights (each person sheltered counts)"),
        "shelter",
        kind="volume",
        categories=_choices((("nights", gettext_lazy("Nights")),)),
        follows="shelter.households",
        follows_category="households",
    ),
)

BY_KEY: dict[str, Table] = {table.key: table for table in TABLES}


def section_tables(section: str) -> list[Table]:
    """The tables of one section, in order: what the coordinator's review shows at once."""
    return [table_ for table_ in TABLES if table_.section == section]


def with_followed(tables: Iterable[Table]) -> set[str]:
    """The keys of ``tables`` and of the count tables their volume tables follow."""
    chosen = list(tables)
    return {t.key for t in chosen} | {t.follows for t in chosen if t.follows}


SECTIONS: dict[str, Promise] = {
    "persons": gettext_lazy("Persons supported"),
    "services": gettext_lazy("Services"),
    "reach": gettext_lazy("Distributions and group sessions"),
    "calls": gettext_lazy("Helpline"),
    "shelter": gettext_lazy("Shelter"),
}

# How much one person can add to the noised (private) tables in all: one to each table,
# and two to the types of exploitation. The noise's scale is this divided by ε.
PERSON_CONTRIBUTION = sum(1 for table in TABLES if table.private) + 1


def table(key: str) -> Table:
    return BY_KEY[key]


def cell_key(cell: Cell) -> str:
    return f"{cell[0]}|{cell[1]}"


def parse_cell_key(key: str) -> Cell:
    table_key, _bar, category = key.partition("|")
    return table_key, category


class CellError(ValueError):
    """A value or a category a table cannot hold; the message says why, for the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def service_choices() -> list[tuple[str, str]]:
    """The services a cell of money may name, as (code, name in the current language)."""
    return _services()


def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency by code, named in the current language ("EUR — Euro")."""
    return list(_currency_choices(get_language() or "en"))


@lru_cache(maxsize=8)
def _currency_choices(language: str) -> tuple[tuple[str, str], ...]:
    # pycountry ships the ISO 4217 names translated (Debian's iso-codes catalogues).
    names = gettext.translation("iso4217", pycountry.LOCALES_DIR, [language], fallback=True)
    return tuple(
        sorted(
            (currency.alpha_3, f"{currency.alpha_3} — {names.gettext(currency.name)}")
            for currency in pycountry.currencies
        )
    )


def _service_codes() -> frozenset[str]:
    return frozenset(code for code, _label in _services())


def clean_category(table_: Table, category: str) -> str:
    """The category in its stored form, or CellError if the table has no such category."""
    category = category.strip()
    if table_.open_category == "country":
        code = category.upper()
        if code in ("UNKNOWN", "OTHER"):
            return code.lower()
        if code not in countries:
            raise CellError(
                _("“%(value)s” is not an ISO 3166 country code (or “other”, “unknown”).")
                % {"value": category[:60]}
            )
        return code
    if table_.open_category == "service_currency":
        service, _colon, currency = category.partition(":")
        if service not in _service_codes():
            raise CellError(
                _("“%(value)s” is not a service code of the catalogue.") % {"value": service[:60]}
            )
        if currency.upper() not in _currency_codes():
            raise CellError(
                _("Write the currency as an ISO 4217 code after a colon, as in %(example)s.")
                % {"example": "emergency_rent:EUR"}
            )
        return f"{service}:{currency.upper()}"
    if category not in table_.category_codes():
        raise CellError(
            _("“%(value)s” is not a category of this table.") % {"value": category[:60]}
        )
    return category


# Spaces group thousands in French and Spanish (no-break and narrow no-break ones too).
_SPACES = str.maketrans("", "", " \u00a0\u202f")
# A number as a person or a file writes it, once the language's separators are out: ASCII
# digits and a point.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _unlocalised(text: str) -> str:
    """``text`` as ``Decimal`` reads it, the active language's separators taken out; a
    CellError when they are not where that language puts them.

    The language's decimal separator marks the decimals, and so does a point in every
    language, since files and the API write numbers with one. A visible thousands separator
    (English ",") is read only between groups of three digits: "1,000" is a thousand in
    English, while in French, whose comma marks the decimals, it is 1 to three decimals,
    which no cell holds. "12,50" in English, or "1.234,50" anywhere, is refused, not guessed.
    """
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    thousands = str(get_format("THOUSAND_SEPARATOR"))
    text = text.translate(_SPACES)
    if thousands.strip() and thousands not in (decimal, "."):
        whole, point, decimals = text.partition(decimal)
        grouped = rf"[+-]?\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+"
        if thousands in decimals or (thousands in whole and not re.fullmatch(grouped, whole)):
            raise _misplaced()
        text = whole.replace(thousands, "") + point + decimals
    if decimal != ".":
        if decimal in text and "." in text:
            raise _misplaced()
        text = text.replace(decimal, ".")
    return text


def number_example() -> str:
    """1234.50 as the active language writes it: "1,234.50", "1 234,50"."""
    return number_format(Decimal("1234.50"), decimal_pos=2, force_grouping=True)


def _misplaced() -> CellError:
    return CellError(_("Write the number as in %(example)s.") % {"example": number_example()})


def clean_value(table_: Table, value: object) -> Decimal:
    """The value as a number the table can hold, in the active language's way of writing
    numbers or with a decimal point, or CellError saying what is wrong."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        raise CellError(_("Write a number."))
    # A number already (a JSON number) is written with a point, whatever the language.
    number_given = isinstance(value, int | float | Decimal)
    text = str(value) if number_given else _unlocalised(str(value).strip())
    if not text:
        return Decimal(0)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Write a number.")) from None
    if not number.is_finite():
        raise CellError(_("Write a number."))
    # Decimal() also reads "1_000", "1e5" and full-width or Arabic-Indic digits: a number
    # that reads two ways, or not as it looks, is refused rather than guessed.
    if not number_given and not _PLAIN_NUMBER.fullmatch(text):
        raise _misplaced()
    if number < 0:
        raise CellError(_("Cannot be negative."))
    if table_.decimals == 0 and number != number.to_integral_value():
        raise CellError(_("Write a whole number."))
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        # "1,000" in French: a count of one to three decimals is no count at all.
        if table_.decimals == 0:
            raise CellError(_("Write a whole number."))
        raise CellError(_("At most two digits after the point."))
    if number > LARGEST_VALUE:
        raise CellError(_("This number is too large."))
    return number.quantize(Decimal(1) if table_.decimals == 0 else Decimal("0.01"))


@cache
def _category_codes(table_key: str) -> tuple[str, ...]:
    # Codes do not depend on the language: listed once, not with every label translated.
    categories = BY_KEY[table_key].categories
    return tuple(code for code, _label in categories()) if categories else ()


@lru_cache(maxsize=256)
def _labels(table_key: str, language: str | None) -> dict[str, str]:
    categories = BY_KEY[table_key].categories
    return dict(categories()) if categories else {}


def label_of(table_: Table, category: str) -> str:
    """A category's name in the current language."""
    if table_.categories is not None:
        return _labels(table_.key, get_language()).get(category, category)
    if table_.open_category == "country":
        if category == "other":
            return _("Other countries")
        return str(countries.name(category)) if category != "unknown" else _("Unknown")
    service, _colon, currency = category.partition(":")
    return f"{dict(_services()).get(service, service)} ({currency})"


def categories_of(table_: Table, figures: Mapping[Cell, Decimal]) -> list[str]:
    """The table's categories in order: fixed ones, or the open ones present in ``figures``."""
    if table_.categories is not None:
        return table_.category_codes()
    present = sorted({category for key, category in figures if key == table_.key})
    return sorted(
        present, key=lambda code: (code in ("other", "unknown"), code, label_of(table_, code))
    )


def followed_category(table_: Table, category: str) -> str:
    """The category of the count table a volume table's cell follows."""
    if table_.follows_category:
        return table_.follows_category
    if table_.open_category == "service_currency":
        return category.partition(":")[0]
    return category


def empty_figures() -> Figures:
    """Every fixed cell of every table, at zero."""
    return {
        (table_.key, code): Decimal(0)
        for table_ in TABLES
        if table_.categories is not None
        for code in table_.category_codes()
    }

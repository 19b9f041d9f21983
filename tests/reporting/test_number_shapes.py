"""Only numbers written with ASCII digits and the reader's separators are read: what
``Decimal`` would also take (underscores, exponents, other scripts' digits) is refused."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext

from haven.reporting.entry import from_file
from haven.reporting.schema import BY_KEY, CellError, clean_value

MONEY, COUNT = BY_KEY["services.amount"], BY_KEY["persons.status"]


@pytest.mark.parametrize("language", ["en", "fr", "es"])
@pytest.mark.parametrize(
    ("typed", "table"),
    [
        ("1_000", COUNT),
        ("1e5", COUNT),
        ("1E+2", COUNT),
        ("12e-1", MONEY),
        ("１２", COUNT),  # full-width digits
        ("٣", COUNT),  # Arabic-Indic digit
        ("۱۲", COUNT),  # Persian digits
    ],
)
def test_a_number_decimal_would_read_but_a_reader_might_not_is_refused(language, typed, table):
    with translation.override(language), pytest.raises(CellError) as refused:
        clean_value(table, typed)
    with translation.override(language):
        example = "1,234.50" if language == "en" else "1\xa0234,50"
        assert refused.value.message == gettext("Write the number as in %(example)s.") % {
            "example": example
        }


@pytest.mark.parametrize(
    ("language", "typed", "table", "read"),
    [
        ("fr", "1 234,50", MONEY, Decimal("1234.50")),
        ("es", "1\u202f234", COUNT, Decimal(1234)),
        ("en", "1,234.50", MONEY, Decimal("1234.50")),
        ("en", "+7", COUNT, Decimal(7)),
        ("en", ".5", MONEY, Decimal("0.50")),
        ("en", 1e2, COUNT, Decimal(100)),  # a JSON number is a number already
    ],
)
def test_numbers_written_the_usual_way_are_still_read(language, typed, table, read):
    with translation.override(language):
        assert clean_value(table, typed) == read


def test_a_file_cell_in_another_script_or_with_an_exponent_is_refused():
    content = "table,category,value\npersons.status,new,1e3\npersons.status,continuing,٣\n"
    checked = from_file(io.BytesIO(content.encode()).getvalue())
    assert [error.row for error in checked.errors] == [2, 3]

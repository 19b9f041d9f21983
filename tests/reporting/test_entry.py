"""Figures typed into the entry form: numbers written the reader's way, and money rows
chosen from the services and currencies rather than typed as codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from haven.reporting import actions
from haven.reporting.schema import BY_KEY, CellError, clean_value
from tests.conftest import client_for
from tests.reporting.helpers import submission_of

pytestmark = pytest.mark.django_db

MONEY, COUNT = BY_KEY["services.amount"], BY_KEY["persons.status"]


@pytest.mark.parametrize(
    ("language", "typed", "table", "read"),
    [
        ("fr", "12,50", MONEY, Decimal("12.50")),
        ("fr", "1 234,50", MONEY, Decimal("1234.50")),
        ("fr", "1\u202f234", COUNT, Decimal(1234)),
        ("fr", "12.50", MONEY, Decimal("12.50")),  # files and the API write a point
        ("es", "12,5", MONEY, Decimal("12.50")),
        ("en", "1,000", COUNT, Decimal(1000)),  # a thousand
        ("en", "1,234.50", MONEY, Decimal("1234.50")),
        ("en", "12.50", MONEY, Decimal("12.50")),
    ],
)
def test_a_number_is_read_in_the_readers_language(language, typed, table, read):
    with translation.override(language):
        assert clean_value(table, typed) == read


@pytest.mark.parametrize(
    ("language", "typed", "table", "message"),
    [
        # In French the comma marks decimals: "1,000" is one to three decimals, never 1000.
        ("fr", "1,000", COUNT, "Write a whole number."),
        ("fr", "1,000", MONEY, "At most two digits after the point."),
        ("fr", "1.234,50", MONEY, "Write the number as in %(example)s."),
        # In English the comma groups thousands: "12,50" is no grouping, and is not guessed.
        ("en", "12,50", MONEY, "Write the number as in %(example)s."),
        ("en", "1,0000", COUNT, "Write the number as in %(example)s."),
        ("en", "1,000,5", COUNT, "Write the number as in %(example)s."),
    ],
)
def test_a_number_the_language_would_not_write_so_is_refused(language, typed, table, message):
    with translation.override(language), pytest.raises(CellError) as refused:
        clean_value(table, typed)
    with translation.override(language):
        # The example is written the reader's way: 1,234.50 in English, 1 234,50 in French.
        example = "1,234.50" if language == "en" else "1\xa0234,50"
        assert refused.value.message == gettext(message) % {"example": example}


def test_a_french_admin_types_money_with_a_decimal_comma(period, north, alice):
    submission = submission_of(north, period)
    client = client_for(alice)
    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("report_entry", kwargs={"org": "north", "submission_id": submission.pk}),
        {
            "cell:persons.status|new": "1 200",
            "cell:services.quantity|food_parcel": "20,5",
            "open:services.amount:0:category": "emergency_rent:EUR",
            "open:services.amount:0:value": "12,50",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    figures = actions.draft_figures(submission_of(north, period))
    assert figures["persons.status", "new"] == 1200
    assert figures["services.quantity", "food_parcel"] == Decimal("20.50")
    assert figures["services.amount", "emergency_rent:EUR"] == Decimal("12.50")


def test_an_english_admin_types_a_thousand_with_a_comma(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        reverse("report_entry", kwargs={"org": "north", "submission_id": submission.pk}),
        {"cell:persons.status|new": "1,000", "cell:persons.status|continuing": "12,50"},
    )
    assert response.status_code == 400
    assert "Write the number as in 1,234.50." in response.content.decode()
    response = client_for(alice).post(
        reverse("report_entry", kwargs={"org": "north", "submission_id": submission.pk}),
        {"cell:persons.status|new": "1,000"},
    )
    assert response.status_code == 302
    assert actions.draft_figures(submission_of(north, period))["persons.status", "new"] == 1000


def _entry(submission) -> str:
    return reverse("report_entry", kwargs={"org": "north", "submission_id": submission.pk})


def test_the_hint_shows_how_the_reader_s_language_writes_numbers(period, north, alice):
    client = client_for(alice)
    english = client.get(_entry(submission_of(north, period))).content.decode()
    assert "Write numbers as in 1,234.50." in english
    assert "a point also marks decimals" not in english
    client.cookies["django_language"] = "fr"
    french = client.get(_entry(submission_of(north, period))).content.decode()
    assert "1\u202f234,50" in french or "1\xa0234,50" in french or "1 234,50" in french
    assert "point" in french


def test_money_rows_offer_the_services_and_currencies_by_name(period, north, alice):
    client = client_for(alice)
    client.cookies["django_language"] = "fr"
    page = client.get(_entry(submission_of(north, period))).content.decode()
    assert "emergency_rent:EUR" not in page
    assert 'name="open:services.amount:0:service"' in page
    assert '<option value="emergency_rent">Aide d’urgence au loyer</option>' in page
    assert '<option value="EUR">EUR — Euro</option>' in page
    # Countries are still typed in.
    assert 'name="open:persons.citizenship:0:category"' in page


def test_an_amount_is_kept_under_the_service_and_currency_chosen(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        _entry(submission),
        {
            "open:services.amount:0:service": "emergency_rent",
            "open:services.amount:0:currency": "EUR",
            "open:services.amount:0:value": "1200.50",
            "open:services.amount:1:service": "",
            "open:services.amount:1:currency": "",
            "open:services.amount:1:value": "",
        },
    )
    assert response.status_code == 302
    figures = actions.draft_figures(submission_of(north, period))
    assert figures["services.amount", "emergency_rent:EUR"] == Decimal("1200.50")


def test_an_amount_without_its_currency_is_refused_and_the_choice_kept(period, north, alice):
    submission = submission_of(north, period)
    response = client_for(alice).post(
        _entry(submission),
        {
            "open:services.amount:0:service": "emergency_rent",
            "open:services.amount:0:currency": "",
            "open:services.amount:0:value": "30",
            "open:services.amount:1:service": "",
            "open:services.amount:1:currency": "GBP",
            "open:services.amount:1:value": "",
            "open:services.amount:2:service": "",
            "open:services.amount:2:currency": "",
            "open:services.amount:2:value": "5",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    errors = body.split('id="entry-errors"')[1].split("</div>")[0]
    # Named as the form shows the table, not by its key.
    assert "Money given, by service and currency: Choose the currency of this amount." in errors
    assert "Choose the service of this amount." in errors
    assert "Choose the service and the currency of this amount, or clear it." in errors
    assert '<option value="emergency_rent" selected>' in body
    assert '<option value="GBP" selected>' in body
    assert submission_of(north, period).draft == {}

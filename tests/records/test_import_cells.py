"""Cells an import reads as numbers or dates: only what the forms would write is taken."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Person
from tests.conftest import bearer, client_for
from tests.records.conftest import Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
API_PREVIEW = "/api/orgs/north/imports/preview"
SERVICES_HEADER = "date,service_code,quantity,amount,currency,people_reached"
PERSONS_HEADER = "code,estimated_age,casework_consent_on,casework_consent_method"


def upload(content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("import.csv", content.encode(), "text/csv")


def errors_of(user: User, kind: str, content: str) -> list[tuple[int, str, str]]:
    response = client_for(user).post(PAGE, {"kind": kind, "file": upload(content)})
    return [(e.row, e.column, e.message) for e in response.context["parsed"].errors]


@pytest.mark.parametrize("count", ["²", "٣", "３", "1²"])
def test_a_count_in_other_digits_than_0_to_9_is_a_row_error_not_a_server_error(
    carol: User, casework: Casework, count: str
) -> None:
    # "²".isdigit() is true, and int("²") raised a ValueError: the preview answered 500.
    content = f"{SERVICES_HEADER}\n2026-01-05,food_parcel,1,,,{count}\n"
    assert errors_of(carol, "services", content) == [
        (2, "people_reached", "Write a whole number that is not negative.")
    ]
    headers: dict[str, Any] = bearer(carol)
    response = client_for(carol).post(
        API_PREVIEW, {"kind": "services", "file": upload(content)}, **headers
    )
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "people_reached")]


@pytest.mark.parametrize("age", ["²", "٣٠", "３０", "3²"])
def test_an_estimated_age_in_other_digits_than_0_to_9_is_refused(
    carol: User, casework: Casework, age: str
) -> None:
    # Stored as typed, "٣٠" would be erased by the next edit: the form's number input
    # cannot show it.
    content = f"{PERSONS_HEADER}\nP-0100,{age},2026-01-02,verbal\n"
    assert errors_of(carol, "persons", content) == [
        (2, "estimated_age", "Give an age in years, from 0 to 120.")
    ]


def test_an_estimated_age_is_stored_as_the_form_would_store_it(
    carol: User, casework: Casework
) -> None:
    content = f"{PERSONS_HEADER}\nP-0100,030,2026-01-02,verbal\nP-0101,000,2026-01-02,verbal\n"
    client = client_for(carol)
    response = client.post(PAGE, {"kind": "persons", "file": upload(content)})
    assert response.status_code == 200, response.context["parsed"].errors
    client.post(PAGE, {"ticket": response.context["confirm_form"].initial["ticket"]})
    with scopes_disabled():
        ages = {p.code: p.estimated_age for p in Person.objects.filter(code__startswith="P-01")}
    assert ages == {"P-0100": "30", "P-0101": "0"}


@pytest.mark.parametrize("day", ["2026-01-05junk", "2026-01-05 x", "2026-01-0512"])
def test_a_date_followed_by_other_text_is_refused(
    carol: User, casework: Casework, day: str
) -> None:
    content = f"{SERVICES_HEADER}\n{day},food_parcel,1,,,5\n"
    assert errors_of(carol, "services", content) == [(2, "date", "Write the date as YYYY-MM-DD.")]


@pytest.mark.parametrize("day", ["2026-01-05", "2026-01-05 00:00:00", "2026-01-05T00:00:00"])
def test_a_date_with_its_time_as_a_spreadsheet_writes_it_is_its_day(
    carol: User, casework: Casework, day: str
) -> None:
    content = f"{SERVICES_HEADER}\n{day},food_parcel,1,,,5\n"
    response = client_for(carol).post(PAGE, {"kind": "services", "file": upload(content)})
    assert response.status_code == 200, response.context["parsed"].errors
    assert [v["date"].isoformat() for v in response.context["parsed"].values] == ["2026-01-05"]


@pytest.mark.parametrize(("column", "cells"), [("quantity", "1_000,,"), ("amount", "1,1_0,EUR")])
def test_a_number_with_underscores_is_refused(
    carol: User, casework: Casework, column: str, cells: str
) -> None:
    # Decimal("1_000") is a thousand, as in Python source; no spreadsheet writes it so.
    content = f"{SERVICES_HEADER}\n2026-01-05,voucher,{cells},5\n"
    assert errors_of(carol, "services", content) == [
        (2, column, "Write a number, such as 12 or 12.50.")
    ]

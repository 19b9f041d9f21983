"""A persons import refuses the dates the casework actions refuse, and writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.casework.models import Consent, Person
from tests.conftest import client_for
from tests.records.conftest import Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
CONSENT_COLUMNS = "casework_consent_on,casework_consent_method"
CONSENT = "2026-01-02,verbal"


def preview(user: User, content: str) -> list[tuple[int, str, str]]:
    """The errors of a persons file's preview, as (row, column, message)."""
    upload = SimpleUploadedFile("persons.csv", content.encode())
    response = client_for(user).post(PAGE, {"kind": "persons", "file": upload})
    return [(e.row, e.column, e.message) for e in response.context["parsed"].errors]


def counts() -> tuple[int, int]:
    with scopes_disabled():
        return Person.objects.count(), Consent.objects.count()


@pytest.mark.parametrize("born", ["0001-01-01", "1800-06-15"])
def test_a_birth_over_120_years_ago_is_refused(carol: User, casework: Casework, born: str) -> None:
    before = counts()
    errors = preview(
        carol,
        f"code,birth_date,{CONSENT_COLUMNS}\nP-0100,{born},{CONSENT}\n"
        f"P-0101,1990-05-01,{CONSENT}\n",
    )
    assert errors == [(2, "birth_date", "Give a date of birth at most 120 years ago.")]
    assert counts() == before


def test_a_consent_given_before_2000_is_refused(carol: User, casework: Casework) -> None:
    before = counts()
    errors = preview(
        carol,
        "code,casework_consent_on,casework_consent_method\n"
        "P-0100,0001-01-01,written\n"
        "P-0101,1999-12-31,verbal\n"
        "P-0102,2000-01-01,verbal\n",
    )
    assert errors == [
        (2, "casework_consent_on", "Give a date from 1 January 2000 on."),
        (3, "casework_consent_on", "Give a date from 1 January 2000 on."),
    ]
    assert counts() == before


def test_an_estimated_age_over_120_is_refused_as_by_the_forms(
    carol: User, casework: Casework
) -> None:
    before = counts()
    errors = preview(
        carol,
        f"code,estimated_age,{CONSENT_COLUMNS}\nP-0100,125,{CONSENT}\nP-0101,120,{CONSENT}\n",
    )
    assert errors == [(2, "estimated_age", "Give an age in years, from 0 to 120.")]
    assert counts() == before

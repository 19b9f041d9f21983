"""The import page says which columns a file may have, and its errors say what is allowed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.htcds import Gender
from haven.organisations.models import Organisation
from haven.records.export import IDENTITY_COLUMNS, PERSON_COLUMNS, SERVICE_COLUMNS
from haven.records.imports import IGNORED_COLUMNS
from tests.conftest import bearer, client_for, make_user
from tests.records.conftest import Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
TEMPLATE = "/o/north/records/import/template/"
COLUMNS = "/api/orgs/north/imports/columns"


def test_the_page_lists_every_column_with_what_to_write_and_the_allowed_values(
    carol: User, casework: Casework
) -> None:
    html = client_for(carol).get(PAGE).content.decode()
    assert "the columns of an export" not in html
    for column in (*PERSON_COLUMNS, *IDENTITY_COLUMNS, *SERVICE_COLUMNS):
        if column not in IGNORED_COLUMNS:
            assert f"<code>{column}</code>" in html, column
    for code in Gender.values:
        assert f"<code>{code}</code>" in html
    # The organisation's own catalogue, by code.
    assert "<code>food_parcel</code>" in html
    assert f'href="{TEMPLATE}?kind=persons"' in html
    assert f'href="{TEMPLATE}?kind=services"' in html


@pytest.mark.parametrize("kind", ["persons", "services"])
def test_an_empty_template_is_a_csv_header_the_import_reads(
    carol: User, casework: Casework, kind: str
) -> None:
    response = client_for(carol).get(TEMPLATE, {"kind": kind})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"haven-import-{kind}.csv" in response["Content-Disposition"]
    (header,) = list(csv.reader(io.StringIO(response.content.decode())))
    known = {*PERSON_COLUMNS, *IDENTITY_COLUMNS} if kind == "persons" else set(SERVICE_COLUMNS)
    assert set(header) <= known - IGNORED_COLUMNS
    assert "casework_consent_on" in header or kind == "services"
    # Filled in with one row, the template is a valid file.
    row = {
        "persons": {
            "casework_consent_on": "2026-01-02",
            "casework_consent_method": "verbal",
        },
        "services": {"date": "2026-01-05", "service_code": "food_parcel", "people_reached": "5"},
    }[kind]
    filled = response.content + ",".join(row.get(name, "") for name in header).encode() + b"\r\n"
    checked = client_for(carol).post(
        PAGE, {"kind": kind, "file": SimpleUploadedFile("filled.csv", filled)}
    )
    assert checked.status_code == 200, checked.context["parsed"].errors


def test_the_template_and_the_columns_follow_the_import_permissions(
    north: Organisation, alice: User, casework: Casework
) -> None:
    operator = make_user("hana", north, Role.HELPLINE_OPERATOR)
    assert client_for(alice).get(TEMPLATE, {"kind": "persons"}).status_code == 403
    caseworker = make_user("cleo", north, Role.CASEWORKER)
    assert client_for(caseworker).get(TEMPLATE, {"kind": "nothing"}).status_code == 400
    assert client_for(operator).get(TEMPLATE, {"kind": "services"}).status_code == 403
    response = client_for(alice).get(COLUMNS, {"kind": "services"}, **bearer(alice))
    assert response.status_code == 403


def test_the_api_describes_the_columns_as_the_page_does(carol: User, casework: Casework) -> None:
    headers: dict[str, Any] = bearer(carol)
    persons = client_for(carol).get(COLUMNS, {"kind": "persons"}, **headers)
    assert persons.status_code == 200
    by_name = {column["name"]: column for column in persons.json()}
    assert by_name["casework_consent_on"]["required"] == "yes"
    assert by_name["code"]["required"] == "column"
    assert by_name["gender"]["required"] == "no"
    assert [value["code"] for value in by_name["gender"]["values"]] == list(Gender.values)
    assert by_name["exploitation_types"]["several"] is True
    assert "given_name" in by_name
    services = client_for(carol).get(COLUMNS, {"kind": "services"}, **headers).json()
    codes = {
        value["code"]
        for value in next(c for c in services if c["name"] == "service_code")["values"]
    }
    assert "food_parcel" in codes


def test_the_api_asks_for_the_kind_once_the_caller_may_import(
    carol: User, alice: User, casework: Casework
) -> None:
    missing = client_for(carol).get(COLUMNS, **bearer(carol))
    assert missing.status_code == 400
    assert missing.json() == {"detail": {"kind": ["Say which kind of file: persons or services."]}}
    # Someone who may not import learns nothing about the query first.
    assert client_for(alice).get(COLUMNS, **bearer(alice)).status_code == 403


def test_an_unknown_code_is_answered_with_the_allowed_ones(carol: User, casework: Casework) -> None:
    content = (
        b"code,gender,exploitation_types,casework_consent_on,casework_consent_method\n"
        b"P-0500,zz,ForcedLabour;Nope,2026-01-02,verbal\n"
        b"P-0501,,,2026-01-02,by pigeon\n"
    )
    response = client_for(carol).post(
        PAGE, {"kind": "persons", "file": SimpleUploadedFile("persons.csv", content)}
    )
    assert response.status_code == 400
    messages = {(e.row, e.column): e.message for e in response.context["parsed"].errors}
    assert messages[(2, "gender")] == (
        "“zz” is not one of the allowed values: Feminine, Masculine, TransgenderFeminine,"
        " TransgenderMasculine, NonConforming, NonSpecifiedUnknown."
    )
    assert messages[(2, "exploitation_types")].startswith(
        "Unknown values: Nope. The allowed values are ForcedLabour, SexualExploitation,"
    )
    assert messages[(2, "exploitation_types")].endswith(", ….")
    assert messages[(3, "casework_consent_method")] == (
        "“by pigeon” is not one of the allowed values: written, verbal, electronic, guardian."
    )


def test_an_unknown_service_code_is_answered_with_the_catalogue_s_codes(
    carol: User, casework: Casework
) -> None:
    content = b"date,service_code,people_reached\n2026-01-05,food,5\n"
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("services.csv", content)}
    )
    assert response.status_code == 400
    (error,) = response.context["parsed"].errors
    assert error.column == "service_code"
    assert error.message.startswith("No service with this code in your catalogue. Its codes are ")
    assert "food_parcel" in error.message

"""Imports: a preview with every error by row and column, then all rows or none."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django_scopes import scopes_disabled
from openpyxl import Workbook

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.actions import allocate_person_code
from haven.casework.models import Consent, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.records.imports import parse_import
from haven.services.models import ServiceDelivery
from tests.conftest import bearer, client_for, make_user
from tests.records.conftest import CANARY, Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
SERVICES_HEADER = (
    "date,service_code,person_code,household_code,quantity,amount,currency,channel,city,"
    "people_reached"
)


def upload(content: bytes, name: str = "import.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def preview(user: User, kind: str, content: bytes, name: str = "import.csv"):
    return client_for(user).post(PAGE, {"kind": kind, "file": upload(content, name)})


def deliveries() -> int:
    with scopes_disabled():
        return ServiceDelivery.objects.count()


def persons() -> int:
    with scopes_disabled():
        return Person.objects.count()


def test_preview_lists_each_bad_row_with_its_column_and_writes_nothing(
    carol: User, casework: Casework
) -> None:
    content = "\n".join(
        [
            SERVICES_HEADER,
            "2026-01-05,food_parcel,P-0001,,1,,,in_person,Paris",
            "2026-13-40,food_parcel,,,1,,,,,5",
            "2026-01-05,food_parcel,,,-3,,,,,5",
            "2026-01-05,voucher,,,1,10,XYZ,,,5",
            "2026-01-05,no_such_service,,,1,,,,,5",
            "2026-01-05,food_parcel,P-9999,,1,,,,",
            "2099-01-05,food_parcel,,,1,,,,,5",
        ]
    ).encode()
    before = deliveries()
    response = preview(carol, "services", content)
    assert response.status_code == 400
    errors = {(e.row, e.column) for e in response.context["parsed"].errors}
    assert errors == {
        (3, "date"),
        (4, "quantity"),
        (5, "currency"),
        (6, "service_code"),
        (7, "person_code"),
        (8, "date"),
    }
    html = response.content.decode()
    assert "ISO 4217" in html
    assert "Must be more than zero" in html
    assert "ticket" not in html
    assert deliveries() == before


def test_a_missing_column_is_reported_on_the_header_row(carol: User, casework: Casework) -> None:
    response = preview(carol, "services", b"service_code,quantity\nfood_parcel,1\n")
    assert response.status_code == 400
    (error,) = response.context["parsed"].errors
    assert (error.row, error.column) == (1, "date")


def test_an_unknown_column_is_refused(carol: User, casework: Casework) -> None:
    response = preview(carol, "services", b"date,service_code,secret\n2026-01-01,food_parcel,x\n")
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["parsed"].errors] == [(1, "secret")]


def test_a_valid_file_is_previewed_then_written_whole_on_confirmation(
    carol: User, casework: Casework
) -> None:
    content = "\n".join(
        [
            SERVICES_HEADER,
            "2026-01-05,food_parcel,P-0001,,1,,,in_person,Paris",
            "2026-01-06,voucher,,H-1,2.5,30,eur,phone,'=SUM(1)",
            "2026-01-07,food_parcel,,,1,,,outreach,Lyon,5",
        ]
    ).encode()
    before = deliveries()
    client = client_for(carol)
    response = client.post(PAGE, {"kind": "services", "file": upload(content)})
    assert response.status_code == 200
    assert deliveries() == before, "the preview wrote something"
    ticket = response.context["confirm_form"].initial["ticket"]
    confirmed = client.post(PAGE, {"ticket": ticket})
    assert confirmed.status_code == 200
    assert deliveries() == before + 3
    with scopes_disabled():
        second = ServiceDelivery.objects.get(delivered_on="2026-01-06")
        assert second.currency == "EUR"
        assert second.household_id == casework.household.pk
        assert second.city == "=SUM(1)"
        assert second.staff_id == carol.pk
    event = AuditEvent.unscoped.get(action="records.imported")
    assert event.details["rows"] == 3
    assert event.details["deliveries"] == 3
    # The ticket is used up: confirming again writes nothing more.
    assert client.post(PAGE, {"ticket": ticket}).status_code == 400
    assert deliveries() == before + 3


def test_someone_elses_preview_ticket_imports_nothing(
    north: Organisation, carol: User, casework: Casework
) -> None:
    colleague = make_user("cleo", north, Role.CASEWORKER)
    content = f"{SERVICES_HEADER}\n2026-01-05,food_parcel,,,1,,,,,5\n".encode()
    response = preview(carol, "services", content)
    ticket = response.context["confirm_form"].initial["ticket"]
    assert client_for(colleague).post(PAGE, {"ticket": ticket}).status_code == 400
    assert client_for(carol).post(PAGE, {"ticket": "x" * 500}).status_code == 400
    assert deliveries() == len(casework.deliveries)


def test_an_xlsx_file_is_read_like_a_csv(carol: User, casework: Casework) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["date", "service_code", "quantity", "people_reached"])
    sheet.append(["2026-01-05", "food_parcel", 3, 5])
    sheet.append(["2026-01-06", "food_parcel", -1, 5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = preview(carol, "services", buffer.getvalue(), "import.xlsx")
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["parsed"].errors] == [(3, "quantity")]


def test_an_oversized_file_is_refused(carol: User, casework: Casework) -> None:
    content = (SERVICES_HEADER + "\n").encode() + b"2026-01-05,food_parcel,,,1,,,,,5\n" * 200_000
    assert len(content) > 5 * 1024 * 1024
    response = preview(carol, "services", content)
    assert response.status_code == 400
    assert "larger than 5 MB" in response.content.decode()
    assert deliveries() == len(casework.deliveries)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a CSV file"),
        ("date,service_code\n2026-01-05,café\n".encode("latin-1"), "UTF-8"),
        (b"PK\x03\x04 not really a workbook", "cannot be read as XLSX"),
        (b"", "empty"),
    ],
)
def test_malformed_files_get_a_clear_message(
    carol: User, casework: Casework, content: bytes, message: str
) -> None:
    response = preview(carol, "services", content)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_persons_are_imported_with_encrypted_identity_and_consent(
    carol: User, casework: Casework
) -> None:
    content = "\n".join(
        [
            "code,gender,languages,in_sex_work,casework_consent_on,casework_consent_method,given_name",
            f"P-0100,Feminine,fr;en,no,2026-01-02,verbal,{CANARY}x",
            "P-0101,,,,2026-01-03,written,",
            ",Masculine,,,2026-01-04,verbal,",
        ]
    ).encode()
    client = client_for(carol)
    response = client.post(PAGE, {"kind": "persons", "file": upload(content)})
    assert response.status_code == 200, response.context["parsed"].errors
    client.post(PAGE, {"ticket": response.context["confirm_form"].initial["ticket"]})
    with scopes_disabled():
        imported = Person.objects.get(code="P-0100")
        assert imported.given_name == CANARY + "x"
        assert imported.languages == ["fr", "en"]
        assert imported.in_sex_work is False
        assert Consent.objects.filter(person=imported, purpose="casework").exists()
        assert Person.objects.filter(code="P-0101").exists()
        assert Person.objects.filter(gender="Masculine").count() == 2, "no code allocated"
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM casework_person WHERE code = 'P-0100'")
        (raw,) = cursor.fetchone()
    assert CANARY not in raw


def test_the_import_is_reported_in_words_with_the_number_of_rows(
    carol: User, casework: Casework
) -> None:
    client = client_for(carol)

    def imported(kind: str, content: bytes) -> str:
        checked = client.post(PAGE, {"kind": kind, "file": upload(content)})
        assert checked.status_code == 200, checked.context["parsed"].errors
        ticket = checked.context["confirm_form"].initial["ticket"]
        return client.post(PAGE, {"ticket": ticket}).content.decode()

    persons = imported(
        "persons", b"code,casework_consent_on,casework_consent_method\n,2026-01-02,verbal\n"
    )
    assert "Imported 1 row." in persons
    for line in ("1 person recorded", "0 households created", "1 consent recorded"):
        assert f"<li>{line}</li>" in persons
    assert "persons:" not in persons
    services = imported(
        "services", f"{SERVICES_HEADER}\n2026-01-05,food_parcel,,,1,,,,,5\n".encode()
    )
    assert "<li>1 service recorded</li>" in services
    assert "deliveries:" not in services


def test_duplicate_and_existing_person_codes_are_refused(carol: User, casework: Casework) -> None:
    content = (
        b"code,gender,casework_consent_on,casework_consent_method\n"
        b"P-0001,,2026-01-02,verbal\nP-0200,,2026-01-02,verbal\nP-0200,,2026-01-02,verbal\n"
    )
    response = preview(carol, "persons", content)
    assert response.status_code == 400
    assert {(e.row, e.column) for e in response.context["parsed"].errors} == {
        (2, "code"),
        (4, "code"),
    }
    assert persons() == 2


def test_a_role_without_identity_permission_cannot_import_identifying_columns(
    north: Organisation, carol: User, casework: Casework
) -> None:
    with scopes_disabled():
        parsed = parse_import(
            organisation=north,
            actor=carol,
            kind="persons",
            content=b"code,given_name,casework_consent_on,casework_consent_method\n"
            b"P-0300,Someone,2026-01-02,verbal\n",
            may_import_identity=False,
        )
    assert [(e.row, e.column) for e in parsed.errors] == [(1, "given_name")]
    assert persons() == 2


def test_the_api_previews_then_confirms_an_import(carol: User, casework: Casework) -> None:
    headers: dict[str, Any] = bearer(carol)
    client = client_for(carol)
    bad = client.post(
        "/api/orgs/north/imports/preview",
        {
            "kind": "services",
            "file": upload(f"{SERVICES_HEADER}\n2026-01-05,food_parcel,,,0,,,,,5\n".encode()),
        },
        **headers,
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"row": 2, "column": "quantity", "message": "Must be more than zero."}
    ]
    good = client.post(
        "/api/orgs/north/imports/preview",
        {
            "kind": "services",
            "file": upload(f"{SERVICES_HEADER}\n2026-01-05,food_parcel,,,1,,,,,5\n".encode()),
        },
        **headers,
    )
    assert good.status_code == 200
    body = good.json()
    assert body["valid"]
    assert body["rows"] == 1
    assert body["ticket"]
    assert deliveries() == len(casework.deliveries)
    confirmed = client.post(
        "/api/orgs/north/imports/confirm",
        json.dumps({"ticket": body["ticket"]}),
        content_type="application/json",
        **headers,
    )
    assert confirmed.status_code == 201
    assert confirmed.json() == {"rows": 1, "created": {"deliveries": 1}}
    assert deliveries() == len(casework.deliveries) + 1


def test_viewer_and_outsider_cannot_import(victor: User, bob: User) -> None:
    assert client_for(victor).get(PAGE).status_code == 403
    assert client_for(bob).get(PAGE).status_code == 404


def test_an_exported_services_file_imports_back(
    dana: User, carol: User, casework: Casework
) -> None:
    from tests.records.conftest import open_zip
    from tests.records.test_export import export

    _status, content = export(dana)
    _name, data = open_zip(content)
    response = preview(carol, "services", data)
    assert response.status_code == 200, response.context["parsed"].errors
    assert len(response.context["parsed"].values) == 3


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("2026-01-05,food_parcel,,,1,10,EUR,,,5", "amount"),
        ("2026-01-05,voucher,,,1,,EUR,,,5", "amount"),
        ("2026-01-05,food_parcel,P-0002,H-1,1,,,,", "household_code"),
        ("1999-12-31,food_parcel,,,1,,,,,5", "date"),
    ],
)
def test_services_import_applies_the_rules_of_recording_a_service(
    carol: User, casework: Casework, row: str, column: str
) -> None:
    response = preview(carol, "services", f"{SERVICES_HEADER}\n{row}\n".encode())
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["parsed"].errors] == [(2, column)]


def test_counts_of_people_reached_are_for_deliveries_to_no_one(
    carol: User, casework: Casework
) -> None:
    content = b"date,service_code,person_code,people_reached\n2026-01-05,food_parcel,P-0002,4\n"
    response = preview(carol, "services", content)
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["parsed"].errors] == [(2, "people_reached")]


def test_a_delivery_to_no_one_needs_a_count_of_those_reached(
    carol: User, casework: Casework
) -> None:
    # As the form refuses it: a row naming no one and counting no one adds to the service
    # totals with nobody behind it.
    content = (
        b"date,service_code,people_reached\n2026-01-05,food_parcel,\n2026-01-06,food_parcel,40\n"
    )
    response = preview(carol, "services", content)
    assert response.status_code == 400
    errors = response.context["parsed"].errors
    assert [(e.row, e.column) for e in errors] == [(2, "person_code")]
    assert errors[0].message.startswith("Give the person or household who received the service")


@pytest.mark.parametrize("order", ["allocated first", "named first"])
def test_a_code_the_file_names_is_not_given_to_a_row_without_code(
    north: Organisation, carol: User, casework: Casework, order: str
) -> None:
    with scopes_disabled(), transaction.atomic():
        next_code = allocate_person_code(north)
        transaction.set_rollback(True)
    rows = [",2026-01-02,verbal", f"{next_code},2026-01-03,written"]
    if order == "named first":
        rows.reverse()
    content = "\n".join(["code,casework_consent_on,casework_consent_method", *rows]).encode()
    client = client_for(carol)
    checked = client.post(PAGE, {"kind": "persons", "file": upload(content)})
    assert checked.status_code == 200, checked.context["parsed"].errors
    confirmed = client.post(PAGE, {"ticket": checked.context["confirm_form"].initial["ticket"]})
    assert confirmed.status_code == 200, confirmed.content.decode()
    assert "Imported 2 rows." in confirmed.content.decode()
    with scopes_disabled():
        codes = set(Person.objects.values_list("code", flat=True)) - {"P-0001", "P-0002"}
    assert len(codes) == 2
    assert next_code in codes


def test_the_api_answers_its_refusals_in_the_language_of_the_request(
    carol: User, dana: User, casework: Casework, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = {
        "kind": "Envoyez le fichier (champ multipart file) et son type.",
        "size": "Le fichier dépasse 5 Mo ; divisez-le en fichiers plus petits.",
        "ticket": "Cet aperçu a expiré ou ne vous appartient pas ; prévisualisez le fichier",
        "rows": "Cet export contient trop de lignes ; choisissez une période plus courte.",
    }
    monkeypatch.setattr("haven.records.export.ROW_CAP", 1)
    client = client_for(carol)
    headers: dict[str, Any] = {**bearer(carol), "HTTP_ACCEPT_LANGUAGE": "fr"}
    no_kind = client.post("/api/orgs/north/imports/preview", {"file": upload(b"date\n")}, **headers)
    too_big = client.post(
        "/api/orgs/north/imports/preview",
        {"kind": "services", "file": upload(b"x" * (5 * 1024 * 1024 + 1))},
        **headers,
    )
    expired = client.post(
        "/api/orgs/north/imports/confirm",
        json.dumps({"ticket": "no-such-ticket"}),
        content_type="application/json",
        **headers,
    )
    too_many = client_for(dana).post(
        "/api/orgs/north/exports",
        json.dumps({"kind": "services", "format": "csv", "passphrase": "correct horse battery"}),
        content_type="application/json",
        **{**bearer(dana), "HTTP_ACCEPT_LANGUAGE": "fr"},
    )
    answers = {"kind": no_kind, "size": too_big, "ticket": expired, "rows": too_many}
    for name, response in answers.items():
        assert response.status_code == 400, name
        answer = json.dumps(response.json(), ensure_ascii=False).replace("\xa0", " ")
        assert refusals[name] in answer, name

"""Exports: the right rows, identity only when asked and allowed, always encrypted, audited."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from typing import Any

import pytest
import pyzipper  # type: ignore[import-untyped]
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from haven.accounts.models import User
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for
from tests.records.conftest import CANARY, PASSPHRASE, Casework, open_zip

pytestmark = pytest.mark.django_db

EXPORTS = "/api/orgs/north/exports"


def export(user: User, **body: object) -> tuple[int, bytes]:
    payload = {"kind": "services", "format": "csv", "passphrase": PASSPHRASE, **body}
    headers: dict[str, Any] = bearer(user)
    response = client_for(user).post(
        EXPORTS, json.dumps(payload), content_type="application/json", **headers
    )
    return response.status_code, response.content


def rows_of(content: bytes) -> list[dict[str, str]]:
    _name, data = open_zip(content)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def exports_recorded() -> list[AuditEvent]:
    return list(AuditEvent.unscoped.filter(action="export.created").order_by("seq"))


def test_services_export_holds_every_delivery_with_codes_and_no_names(
    dana: User, casework: Casework
) -> None:
    status, content = export(dana)
    assert status == 200
    rows = rows_of(content)
    assert [row["date"] for row in rows] == ["2026-01-10", "2026-02-10", "2026-03-10"]
    assert rows[0]["person_code"] == "P-0001"
    assert rows[0]["service_code"] == "food_parcel"
    assert rows[0]["unit"] == "parcel"
    assert rows[0]["staff"] == "carol"
    assert rows[1]["household_code"] == "H-1"
    assert (rows[1]["amount"], rows[1]["currency"]) == ("25.00", "EUR")
    assert rows[2]["people_reached"] == "120"
    assert CANARY not in json.dumps(rows)


def test_services_export_filters_by_date(dana: User, casework: Casework) -> None:
    status, content = export(dana, date_from="2026-02-01", date_to="2026-02-28")
    assert status == 200
    assert [row["date"] for row in rows_of(content)] == ["2026-02-10"]


def test_formula_like_text_is_neutralised_in_the_export(dana: User, casework: Casework) -> None:
    _status, content = export(dana)
    assert rows_of(content)[0]["city"] == "'=HYPERLINK(1)"


def test_the_archive_cannot_be_opened_without_the_passphrase(
    dana: User, casework: Casework
) -> None:
    _status, content = export(dana)
    assert CANARY.encode() not in content
    assert b"P-0001" not in content
    with pyzipper.AESZipFile(io.BytesIO(content)) as archive:
        name = archive.namelist()[0]
        assert archive.getinfo(name).flag_bits & 0x1, "the entry is not marked encrypted"
        with pytest.raises(RuntimeError):
            archive.read(name)
        archive.setpassword(b"the wrong passphrase")
        with pytest.raises(RuntimeError):
            archive.read(name)
    with (
        zipfile.ZipFile(io.BytesIO(content)) as plain,
        pytest.raises((RuntimeError, NotImplementedError)),
    ):
        plain.read(plain.namelist()[0])
    name, data = open_zip(content)
    assert name.endswith(".csv")
    assert b"P-0001" in data


def test_persons_export_leaves_identifying_fields_out_unless_asked(
    dana: User, casework: Casework
) -> None:
    _status, content = export(dana, kind="persons")
    rows = rows_of(content)
    assert [row["code"] for row in rows] == ["P-0001", "P-0002"]
    assert "given_name" not in rows[0]
    assert "phone" not in rows[0]
    assert rows[0]["languages"] == "fr;ro"
    assert rows[0]["in_sex_work"] == "yes"
    assert rows[0]["household_code"] == "H-1"
    assert rows[0]["casework_consent_on"] == "2025-01-01"
    assert CANARY not in json.dumps(rows)


def test_persons_export_includes_identifying_fields_when_a_dpo_asks(
    dana: User, casework: Casework
) -> None:
    _status, content = export(dana, kind="persons", include_identity=True)
    rows = rows_of(content)
    assert rows[0]["given_name"] == CANARY
    assert rows[0]["phone"] == "+33 6 12 34 56 78"
    assert exports_recorded()[-1].details["identifying"] is True


def test_an_admin_without_identity_permission_cannot_export_identifying_fields(
    alice: User, casework: Casework
) -> None:
    status, _content = export(alice, kind="persons", include_identity=True)
    assert status == 403
    assert exports_recorded() == []
    status, content = export(alice, kind="persons")
    assert status == 200
    assert "given_name" not in rows_of(content)[0]


def test_every_export_is_audited_with_kind_format_rows_and_no_content(
    dana: User, casework: Casework
) -> None:
    export(dana, format="xlsx")
    (event,) = exports_recorded()
    assert event.actor_id == dana.pk
    assert event.details["kind"] == "services"
    assert event.details["format"] == "xlsx"
    assert event.details["rows"] == 3
    assert event.details["identifying"] is False
    assert event.details["passphrase"] == "chosen"
    assert PASSPHRASE not in json.dumps(event.details)


def test_xlsx_export_is_a_workbook_with_the_same_columns(dana: User, casework: Casework) -> None:
    _status, content = export(dana, format="xlsx")
    name, data = open_zip(content)
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("date", "service_code")
    assert len(values) == 4
    assert values[1][13] == "'=HYPERLINK(1)"


def test_a_short_passphrase_is_refused_and_nothing_is_audited(
    dana: User, casework: Casework
) -> None:
    status, _content = export(dana, passphrase="short")
    assert status == 400
    assert exports_recorded() == []


def test_the_page_makes_up_a_passphrase_shows_it_once_and_serves_the_archive(
    dana: User, casework: Casework
) -> None:
    client = client_for(dana)
    page = client.get("/o/north/records/export/")
    assert page.status_code == 200
    assert b"include_identity" in page.content
    response = client.post(
        "/o/north/records/export/", {"kind": "persons", "format": "csv", "passphrase": ""}
    )
    assert response.status_code == 200
    html = response.content.decode()
    passphrase = re.search(r'<code id="export-passphrase">([^<]+)</code>', html)
    link = re.search(r'href="(/o/north/records/export/download/\?ticket=[^"]+)"', html)
    assert passphrase
    assert link
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    _name, data = open_zip(download.content, passphrase.group(1))
    assert b"P-0001" in data
    assert exports_recorded()[-1].details["passphrase"] == "generated"
    with scopes_disabled():
        assert passphrase.group(1) not in json.dumps(exports_recorded()[-1].details)


def test_the_download_link_is_only_for_the_user_who_made_the_export(
    dana: User, alice: User, casework: Casework
) -> None:
    response = client_for(dana).post(
        "/o/north/records/export/", {"kind": "services", "format": "csv", "passphrase": ""}
    )
    link = re.search(
        r'href="(/o/north/records/export/download/\?ticket=[^"]+)"', response.content.decode()
    )
    assert link
    assert client_for(alice).get(link.group(1)).status_code == 400
    assert client_for(dana).get("/o/north/records/export/download/?ticket=nope").status_code == 400


def test_the_admin_export_page_offers_no_identifying_fields(alice: User) -> None:
    page = client_for(alice).get("/o/north/records/export/")
    assert page.status_code == 200
    assert b"include_identity" not in page.content


def test_caseworker_viewer_and_outsider_cannot_export(carol: User, victor: User, bob: User) -> None:
    assert client_for(carol).get("/o/north/records/export/").status_code == 403
    assert client_for(victor).get("/o/north/records/export/").status_code == 403
    assert client_for(bob).get("/o/north/records/export/").status_code == 404
    status, _content = export(bob)
    assert status == 404


def test_control_characters_typed_into_a_form_do_not_break_a_workbook() -> None:
    from openpyxl import load_workbook

    from haven.records.export import xlsx_bytes

    content = xlsx_bytes("t", ["name", "comment"], [["Bad\x08Name", "\x1b=HYPERLINK(1)"]])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[2]] == ["BadName", "'=HYPERLINK(1)"]


def test_an_export_over_the_cap_leaves_no_cursor_open(
    casework: Casework, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    from haven.organisations.models import Organisation
    from haven.records.export import ExportRequest, TooManyRows, build_export

    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")
    monkeypatch.setattr("haven.records.export.ROW_CAP", 1)
    north = Organisation.objects.get(slug="north")
    with scopes_disabled(), pytest.raises(TooManyRows) as refused:
        build_export(north, ExportRequest(kind="services", format="csv"), "correct horse battery")
    # The refusal's traceback still holds the rows being read: their cursor must be closed
    # already. One left to the garbage collector was closed later, inside another
    # transaction, which its failure aborted.
    assert refused.traceback
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 0

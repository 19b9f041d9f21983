"""Damaged or padded workbooks get a clear 400, and reading one stays bounded."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from haven.accounts.models import User
from haven.records import imports
from tests.conftest import bearer, client_for
from tests.records.conftest import Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
PREVIEW = "/api/orgs/north/imports/preview"
UNREADABLE = "cannot be read as XLSX"
SHEET = "xl/worksheets/sheet1.xml"


def workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one of its parts changed."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.namelist():
            data = source.read(item)
            target.writestr(item, change(data) if item == name else data)
    return buffer.getvalue()


GOOD = workbook([["date", "service_code", "people_reached"], ["2026-01-05", "food_parcel", 5]])


@pytest.mark.parametrize(
    "content",
    [
        rewritten(GOOD, SHEET, lambda xml: xml[: len(xml) // 2]),
        rewritten(GOOD, "xl/workbook.xml", lambda xml: xml[:40] + b"<<broken"),
        rewritten(GOOD, SHEET, lambda xml: b"not xml at all"),
        rewritten(GOOD, "xl/_rels/workbook.xml.rels", lambda xml: b""),
        GOOD[: len(GOOD) // 2],
    ],
    ids=["truncated sheet", "broken workbook.xml", "sheet not xml", "empty rels", "cut zip"],
)
def test_a_damaged_workbook_is_refused_in_words_on_the_page_and_the_api(
    carol: User, casework: Casework, content: bytes
) -> None:
    client = client_for(carol)
    page = client.post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)}
    )
    assert page.status_code == 400
    assert UNREADABLE in page.content.decode()
    api = client.post(
        PREVIEW,
        {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)},
        **bearer(carol),
    )
    assert api.status_code == 400
    assert UNREADABLE in api.json()["detail"]


def _padded(empty_rows: int, *, sparse: bool) -> bytes:
    """A header and one row, then ``empty_rows`` empty rows (or one cell that far down)."""
    if sparse:
        far = empty_rows + 3
        tail = f'<row r="{far}"><c r="A{far}" t="inlineStr"><is><t>x</t></is></c></row>'
    else:
        tail = "".join(f'<row r="{n}"/>' for n in range(3, empty_rows + 3))

    def pad(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*" */>', b"", xml)
        return xml.replace(b"</sheetData>", tail.encode() + b"</sheetData>")

    return rewritten(GOOD, SHEET, pad)


@pytest.mark.parametrize("sparse", [False, True], ids=["empty row elements", "one far cell"])
def test_empty_rows_count_towards_the_limit_so_the_reading_stops(
    carol: User, casework: Casework, sparse: bool
) -> None:
    content = _padded(400_000, sparse=sparse)
    assert len(content) < imports.MAX_BYTES
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)}
    )
    assert response.status_code == 400
    assert "counting empty ones" in response.content.decode()


def test_a_few_empty_rows_and_a_declared_size_to_the_last_row_are_fine(
    carol: User, casework: Casework
) -> None:
    def pad(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*" */>', b'<dimension ref="A1:B1048576"/>', xml)
        rows = "".join(f'<row r="{n}"/>' for n in range(3, 503))
        return xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>")

    content = rewritten(GOOD, SHEET, pad)
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)}
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert len(response.context["parsed"].values) == 1


def test_a_csv_of_blank_lines_is_bounded_too(carol: User, casework: Casework) -> None:
    content = b"date,service_code,people_reached\n2026-01-05,food_parcel,5\n" + b"\n" * 100_000
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.csv", content)}
    )
    assert response.status_code == 400
    assert "counting empty ones" in response.content.decode()


def test_an_uncalculated_formula_is_an_error_of_its_row_and_a_calculated_one_is_read(
    carol: User, casework: Casework
) -> None:
    # openpyxl writes formulas without a calculated value, as scripts that build files do.
    content = workbook(
        [
            ["date", "service_code", "quantity", "people_reached"],
            ["2026-01-05", "food_parcel", "=1+1", 5],
            ["2026-01-06", "food_parcel", 3, 5],
        ]
    )
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)}
    )
    assert response.status_code == 400
    errors = [(e.row, e.column) for e in response.context["parsed"].errors]
    assert errors == [(2, "quantity")]
    assert "formula that was never calculated" in response.content.decode()

    # The same formula with the value a spreadsheet saved beside it is read as that value.
    def cached(xml: bytes) -> bytes:
        return re.sub(rb"<f>1\+1</f>(<v\s*/>|<v></v>)?", b"<f>1+1</f><v>2</v>", xml)

    calculated = rewritten(content, SHEET, cached)
    assert b"<v>2</v>" in zipfile.ZipFile(io.BytesIO(calculated)).read(SHEET)
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", calculated)}
    )
    assert response.status_code == 200, response.context["parsed"].errors
    assert [v["quantity"] for v in response.context["parsed"].values] == [2, 3]


def test_dates_numbers_and_gaps_of_a_workbook_are_read_as_the_spreadsheet_shows_them(
    carol: User, casework: Casework
) -> None:
    content = workbook(
        [
            ["date", "service_code", "quantity", "amount", "currency", "people_reached"],
            [datetime(2026, 1, 5), "food_parcel", 2, None, None, 5],
            [],
            [date(2026, 1, 6), "voucher", 1.0, 12.5, "EUR", 5],
        ]
    )
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.xlsx", content)}
    )
    assert response.status_code == 200, response.context["parsed"].errors
    rows = response.context["parsed"].rows
    assert [(r["date"][:10], r["quantity"], r["amount"]) for r in rows] == [
        ("2026-01-05", "2", ""),
        ("2026-01-06", "1", "12.5"),
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_utf16_file_is_asked_for_again_as_utf8(
    carol: User, casework: Casework, encoding: str
) -> None:
    text = "date,service_code,people_reached\n2026-01-05,food_parcel,5\n"
    content = text.encode(encoding)
    if encoding == "utf-16-be":
        content = codecs.BOM_UTF16_BE + content
    elif encoding == "utf-16-le":
        content = codecs.BOM_UTF16_LE + content
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.csv", content)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "UTF-16" in html
    assert "CSV UTF-8" in html
    assert "binary data" not in html

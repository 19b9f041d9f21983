"""Damaged or padded workbooks get a clear 400, and reading one stays bounded."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
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


GOOD = workbook([["date", "service_code"], ["2026-01-05", "food_parcel"]])


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
    content = b"date,service_code\n2026-01-05,food_parcel\n" + b"\n" * 100_000
    response = client_for(carol).post(
        PAGE, {"kind": "services", "file": SimpleUploadedFile("import.csv", content)}
    )
    assert response.status_code == 400
    assert "counting empty ones" in response.content.decode()

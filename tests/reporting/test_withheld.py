"""Withheld cells say nothing about their value: a small count and a larger figure withheld
to protect it read alike on every page and in every file, never "<10" (false of the
larger one, and telling which is which)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import client_for
from tests.reporting.helpers import publish, sample_figures, send_figures

pytestmark = pytest.mark.django_db

# North's 40 persons: 37 women and 3 men. The 3 men are withheld for being few, and the 37
# women because the published total would give the men away.
WOMEN, MEN = Decimal(37), Decimal(3)


@pytest.fixture
def publication(plain_period, north, alice, cora):
    figures = {
        **sample_figures(),
        ("persons.gender", "Feminine"): WOMEN,
        ("persons.gender", "Masculine"): MEN,
        ("persons.sex_work", "no"): WOMEN,
        ("persons.sex_work", "yes"): MEN,
    }
    send_figures(alice, north, plain_period, figures)
    return publish(cora, plain_period)


def _gender_table(page: str) -> str:
    start = page.index("Persons by sex / gender</caption>")
    return page[start : page.index("</table>", start)]


def test_a_cell_withheld_to_protect_a_small_one_is_never_said_to_be_small(publication, client):
    page = client.get(reverse("network_figures", kwargs={"network": "coalition"}))
    body = page.content.decode()
    table = _gender_table(body)
    assert table.count("withheld</td>") == 4  # men and women, France and the network
    assert 'class="chart-value">withheld</text>' in body
    assert "&lt;" not in table
    assert "37" not in table
    assert "&lt;10" not in body
    # The legend says what "withheld" covers.
    assert "a count below 10, or another figure or total withheld" in body


def test_the_coordinators_pages_mark_withheld_cells_alike(publication, plain_period, cora):
    client = client_for(cora)
    review = client.get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": plain_period.pk})
    ).content.decode()
    assert "&lt;10" not in review
    assert "37" not in _gender_table(review)
    detail = client.get(
        reverse("publication_detail", kwargs={"org": "coalition", "publication_id": publication.pk})
    ).content.decode()
    assert "withheld</td>" in detail
    assert "&lt;10" not in detail


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_files_leave_a_withheld_cell_empty_and_flag_it(publication, client, cora):
    url = reverse(
        "network_publication_download",
        kwargs={"network": "coalition", "publication_id": publication.pk},
    )
    rows = _csv_rows(client.get(url + "?format=csv").content)
    women = next(
        row for row in rows if (row["table"], row["category"], row["column"]) ==
        ("persons.gender", "Feminine", "")
    )  # fmt: skip
    assert (women["value"], women["withheld"]) == ("", "yes")
    status = next(
        row for row in rows if (row["table"], row["category"], row["column"]) ==
        ("persons.status", "", "")
    )  # fmt: skip
    assert (status["value"], status["withheld"]) == ("40", "no")
    assert not any("<" in value for row in rows for value in row.values())

    sheet = load_workbook(io.BytesIO(client.get(url + "?format=xlsx").content)).active
    assert sheet is not None
    header, *cells = list(sheet.iter_rows(values_only=True))
    women_row = next(
        dict(zip(header, row, strict=True)) for row in cells
        if (row[0], row[1], row[3]) == ("persons.gender", "Feminine", None)
    )  # fmt: skip
    assert women_row["value"] is None
    assert women_row["withheld"] == "yes"

    dashboard = client_for(cora).get(
        reverse("reporting_dashboard_export", kwargs={"org": "coalition"}) + "?format=csv"
    )
    exported = _csv_rows(dashboard.content)
    assert any(row["withheld"] == "yes" and row["value"] == "" for row in exported)
    assert not any("<" in value for row in exported for value in row.values())

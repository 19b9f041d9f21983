"""A file whose header names a column twice is refused: only one of them would be read."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from haven.reporting.entry import from_file
from tests.conftest import client_for
from tests.reporting.helpers import submission_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "header",
    [
        "table,category,value,value",
        "table,category,Value ,value",
        "table,label,category,value,label",
    ],
)
def test_a_repeated_column_is_refused(header):
    checked = from_file(f"{header}\npersons.status,new,4,5\n".encode())
    assert [(error.row, error.message) for error in checked.errors] == [
        (1, "A column name appears twice.")
    ]


def test_the_upload_page_names_the_repeated_column_and_keeps_nothing(period, north, alice):
    submission = submission_of(north, period)
    upload = io.BytesIO(b"table,category,value,value\npersons.status,new,4,5\n")
    upload.name = "figures.csv"
    response = client_for(alice).post(
        reverse("report_upload", kwargs={"org": north.slug, "submission_id": submission.pk}),
        {"file": upload},
    )
    assert response.status_code == 400
    assert "A column name appears twice." in response.content.decode()
    assert submission_of(north, period).draft == {}

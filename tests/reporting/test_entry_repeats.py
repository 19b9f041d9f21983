"""A cell given twice is refused however it is reached: the form, the API or a file, and
whether the two differ only in capitals or spaces of the category."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from haven.reporting.entry import from_cells
from tests.conftest import client_for
from tests.reporting.helpers import api_headers, submission_of

pytestmark = pytest.mark.django_db

TWICE = "This cell appears twice."


@pytest.mark.parametrize(
    ("table", "first", "second"),
    [
        ("persons.citizenship", "es", "ES"),
        ("persons.citizenship", "ES", " es "),
        ("persons.gender", "Feminine", " Feminine"),
        ("services.amount", "emergency_rent:eur", "emergency_rent:EUR"),
        ("persons.status", "new", "new"),
    ],
)
def test_the_same_cell_written_two_ways_is_refused(table, first, second):
    checked = from_cells([(table, first, "3"), (table, second, "4")])
    assert [error.message for error in checked.errors] == [TWICE]


def test_the_api_refuses_a_cell_whose_category_differs_only_in_capitals(period, north, alice):
    submission = submission_of(north, period)
    response = Client().put(
        f"/api/orgs/north/reports/{submission.pk}/figures",
        data=json.dumps(
            {
                "cells": [
                    {"table": "persons.citizenship", "category": "es", "value": 3},
                    {"table": "persons.citizenship", "category": "ES", "value": 4},
                ]
            }
        ),
        content_type="application/json",
        headers=api_headers(alice),
    )
    assert response.status_code == 400
    assert [error["message"] for error in response.json()["errors"]] == [TWICE]
    assert submission_of(north, period).draft == {}


def test_the_form_refuses_an_open_row_that_repeats_another(period, north, alice):
    submission = submission_of(north, period)
    url = reverse("report_entry", kwargs={"org": north.slug, "submission_id": submission.pk})
    response = client_for(alice).post(
        url,
        {
            "open:persons.citizenship:0:category": "es",
            "open:persons.citizenship:0:value": "3",
            "open:persons.citizenship:1:category": "ES ",
            "open:persons.citizenship:1:value": "4",
        },
    )
    assert response.status_code == 400
    assert TWICE in response.content.decode()
    assert submission_of(north, period).draft == {}

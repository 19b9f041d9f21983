"""The coordinator's review of a period and the dashboard are remembered between requests,
and never show figures older than the members' current revisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haven.reporting import actions
from haven.reporting.models import Source
from tests.conftest import bearer, client_for
from tests.reporting.helpers import sample_figures, send_figures, submission_of

pytestmark = pytest.mark.django_db


def _gender_cells(client, period) -> dict[tuple[str, str], str]:
    review = client.get(f"/api/orgs/coalition/reporting/periods/{period.pk}")
    assert review.status_code == 200
    table = next(t for t in review.json()["tables"] if t["table"] == "persons.gender")
    return {(cell["category"], cell["column"]): cell["value"] for cell in table["cells"]}


def _tables(page: str) -> str:
    return page[page.index("Figures received") : page.index('<form method="post"')]


def test_a_correction_shows_at_once_in_the_review(plain_period, north, alice, cora):
    figures = {
        **sample_figures(persons=87),
        ("persons.gender", "Feminine"): Decimal(57),
        ("persons.gender", "Masculine"): Decimal(30),
    }
    send_figures(alice, north, plain_period, figures)
    page = reverse("period_review", kwargs={"org": "coalition", "period_id": plain_period.pk})
    coordinator = client_for(cora)
    api = Client()
    api.defaults.update(bearer(cora))

    first = coordinator.get(page, {"by": "member"}).content.decode()
    assert ">57<" in first
    assert Decimal(_gender_cells(api, plain_period)["Feminine", "FR"]) == 57
    # Asked again: the same tables (remembered this time).
    assert _tables(coordinator.get(page, {"by": "member"}).content.decode()) == _tables(first)

    actions.start_correction(actor=alice, submission=submission_of(north, plain_period))
    corrected = {**figures, ("persons.gender", "Feminine"): Decimal(71)}
    actions.save_figures(
        actor=alice,
        submission=submission_of(north, plain_period),
        figures=corrected,
        source=Source.MANUAL,
    )
    actions.send_submission(
        actor=alice, submission=submission_of(north, plain_period), reason="Recounted"
    )

    again = coordinator.get(page, {"by": "member"}).content.decode()
    assert ">71<" in again
    assert ">57<" not in again
    assert Decimal(_gender_cells(api, plain_period)["Feminine", "FR"]) == 71


def test_the_dashboard_is_drawn_again_only_when_figures_change(plain_period, north, alice, cora):
    figures = {**sample_figures(persons=87), ("services.deliveries", "food_parcel"): Decimal(120)}
    send_figures(alice, north, plain_period, figures)
    coordinator = client_for(cora)
    page = reverse("reporting_dashboard", kwargs={"org": "coalition"})
    printable = reverse("reporting_dashboard_print", kwargs={"org": "coalition"})

    first = coordinator.get(page)
    assert first.status_code == 200
    assert ">120<" in first.content.decode()
    # Asked again, on the page or its printable version: drawn from the cache, without
    # reading a single figure.
    for again in (page, printable):
        with CaptureQueriesContext(connection) as queries:
            response = coordinator.get(again)
        assert ">120<" in response.content.decode()
        assert not [q for q in queries if "reporting_figure" in q["sql"]]

    submission = submission_of(north, plain_period)
    actions.start_correction(actor=alice, submission=submission)
    actions.save_figures(
        actor=alice,
        submission=submission_of(north, plain_period),
        figures={**figures, ("services.deliveries", "food_parcel"): Decimal(150)},
        source=Source.MANUAL,
    )
    actions.send_submission(
        actor=alice, submission=submission_of(north, plain_period), reason="Recounted"
    )

    for corrected in (page, printable):
        content = coordinator.get(corrected).content.decode()
        assert ">150<" in content
        assert ">120<" not in content

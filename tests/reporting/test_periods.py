"""Which periods a coordinator can open: shaped as a month, quarter or year, and not
further ahead than a year, so that nothing is asked of members years early."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from haven.privacy.models import AuditEvent
from haven.reporting.models import Notice, ReportingPeriod
from haven.reporting.periods import label, latest_start
from tests.conftest import client_for
from tests.reporting.helpers import api_headers, ask, days

pytestmark = pytest.mark.django_db


def _nothing_written() -> None:
    with scopes_disabled():
        assert not ReportingPeriod.objects.exists()
        assert not Notice.objects.exists()
        assert not AuditEvent.objects.filter(action="reporting.period_created").exists()


def _form(starts_on: str, deadline: str, kind: str = "year") -> dict[str, object]:
    return {
        "kind": kind,
        "starts_on": starts_on,
        "deadline": deadline,
        "categories": ["member"],
        "threshold": "10",
        "epsilon": "1",
        "budget": "2",
    }


@pytest.mark.parametrize(("starts_on", "deadline"), [("9999-01-01", "9999-12-31"),
                                                      ("2040-01-01", "2041-01-31")])  # fmt: skip
def test_a_period_far_ahead_is_refused_on_the_form_and_nothing_is_asked(
    coalition, north, cora, starts_on, deadline
):
    response = client_for(cora).post(
        reverse("period_create", kwargs={"org": "coalition"}), _form(starts_on, deadline)
    )
    assert response.status_code == 400
    latest = date_format(latest_start(days(0)))
    assert f"A period can start at most a year ahead: on {latest} at the latest." in (
        response.content.decode()
    )
    _nothing_written()


@pytest.mark.parametrize("starts_on", ["9999-01-01", "2040-01-01"])
def test_a_period_far_ahead_is_refused_by_the_api_and_nothing_is_asked(
    coalition, north, cora, client, starts_on
):
    response = client.post(
        "/api/orgs/coalition/reporting/periods",
        data=json.dumps({"kind": "year", "starts_on": starts_on, "deadline": "9999-12-31"}),
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert response.status_code == 400
    assert "at most a year ahead" in response.json()["detail"]["starts_on"][0]
    _nothing_written()


def test_a_period_up_to_a_year_ahead_is_opened_and_one_beyond_is_not(coalition, north, cora):
    latest = latest_start(days(0))
    ask(cora, coalition, latest, latest + datetime.timedelta(days=40), kind="month")
    later = (latest + datetime.timedelta(days=31)).replace(day=1)
    with pytest.raises(ValidationError) as refused:
        ask(cora, coalition, later, later + datetime.timedelta(days=40), kind="month")
    assert "at most a year ahead" in refused.value.message_dict["starts_on"][0]
    assert ReportingPeriod.objects.count() == 1


def test_a_period_before_2000_is_refused(coalition, north, cora):
    with pytest.raises(ValidationError) as refused:
        ask(cora, coalition, datetime.date(1999, 1, 1), days(30), kind="year")
    assert refused.value.message_dict["starts_on"] == ["Give a date from 1 January 2000 on."]


@pytest.mark.parametrize(
    ("language", "named"),
    [("en", "November 2026"), ("fr", "novembre 2026"), ("es", "noviembre de 2026")],
)
def test_a_month_is_named_as_the_language_names_a_month_of_a_year(language, named):
    with translation.override(language):
        assert label("month", datetime.date(2026, 11, 1)) == named

"""A deadline is at most a year after its period ends: one years off (9999 typed for 2026)
would never make the report late, and no reminder would ever go."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import date_format
from django_scopes import scopes_disabled

from haven.reporting import actions
from haven.reporting.models import ReportingPeriod
from haven.reporting.periods import latest_deadline, period_end
from tests.conftest import client_for
from tests.reporting.helpers import api_headers, ask, last_month

pytestmark = pytest.mark.django_db

FAR = "9999-12-31"


def _refusal(ends_on: datetime.date) -> str:
    return (
        "The deadline can be at most a year after the period ends: on "
        f"{date_format(latest_deadline(ends_on))} at the latest."
    )


def test_a_deadline_a_year_after_the_period_ends_is_the_latest(coalition, north, cora):
    start = last_month()
    ends_on = period_end("month", start)
    assert latest_deadline(datetime.date(2026, 12, 31)) == datetime.date(2027, 12, 31)
    assert latest_deadline(datetime.date(2026, 2, 28)) == datetime.date(2027, 2, 28)
    with pytest.raises(ValidationError) as refused:
        ask(cora, coalition, start, latest_deadline(ends_on) + datetime.timedelta(days=1),
            kind="month")  # fmt: skip
    assert refused.value.message_dict["deadline"] == [_refusal(ends_on)]
    assert not ReportingPeriod.objects.exists()
    ask(cora, coalition, start, latest_deadline(ends_on), kind="month")


def test_the_form_and_the_api_refuse_a_deadline_years_off(coalition, north, cora, client):
    start = last_month()
    ends_on = period_end("month", start)
    form = {
        "kind": "month",
        "starts_on": start.isoformat(),
        "deadline": FAR,
        "categories": ["member"],
        "threshold": "10",
        "epsilon": "1",
        "budget": "2",
    }
    page = client_for(cora).post(reverse("period_create", kwargs={"org": "coalition"}), form)
    assert page.status_code == 400
    assert _refusal(ends_on) in page.content.decode()
    api = client.post(
        "/api/orgs/coalition/reporting/periods",
        data=json.dumps({"kind": "month", "starts_on": start.isoformat(), "deadline": FAR}),
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert api.status_code == 400
    assert api.json()["detail"]["deadline"] == [_refusal(ends_on)]
    with scopes_disabled():
        assert not ReportingPeriod.objects.exists()


def test_a_changed_deadline_years_off_is_refused_everywhere(coalition, north, cora, client):
    start = last_month()
    ends_on = period_end("month", start)
    period = ask(cora, coalition, start, ends_on + datetime.timedelta(days=30), kind="month")
    with pytest.raises(ValidationError) as refused:
        actions.change_deadline(actor=cora, period=period, deadline=datetime.date(9999, 12, 31))
    assert refused.value.message_dict["deadline"] == [_refusal(ends_on)]
    page = client_for(cora).post(
        reverse("period_deadline", kwargs={"org": "coalition", "period_id": period.pk}),
        {"deadline": FAR},
    )
    assert page.status_code == 400
    assert _refusal(ends_on) in page.content.decode()
    api = client.post(
        f"/api/orgs/coalition/reporting/periods/{period.pk}/deadline",
        {"deadline": FAR},
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert api.status_code == 400
    assert api.json()["detail"]["deadline"] == [_refusal(ends_on)]
    period.refresh_from_db()
    assert period.deadline == ends_on + datetime.timedelta(days=30)

"""A member sees what its networks ask of it: the "Reports due" card on its dashboard and
the same list through the API, with each request's deadline, state and link."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from haven.reporting import access, actions
from haven.reporting.models import Source
from haven.reporting.periods import period_end, previous_periods
from tests.conftest import client_for
from tests.reporting.helpers import (
    api_headers,
    ask,
    days,
    last_month,
    sample_figures,
    submission_of,
)

pytestmark = pytest.mark.django_db


def two_months_back() -> datetime.date:
    return previous_periods("month", days(0), 2)[0]


@pytest.fixture
def requests(cora, coalition, alice, north):
    """Last month, open for ten more days, and the month before, past its deadline."""
    current = ask(cora, coalition, last_month(), days(10), kind="month")
    earlier_start = two_months_back()
    earlier_deadline = period_end("month", earlier_start) + datetime.timedelta(days=3)
    earlier = ask(cora, coalition, earlier_start, earlier_deadline, kind="month")
    return current, earlier


def card_of(user, org: str = "north") -> str:
    page = client_for(user).get(reverse("organisation_dashboard", kwargs={"org": org}))
    assert page.status_code == 200
    return page.content.decode()


def test_the_dashboard_lists_the_reports_due_with_deadline_state_and_link(requests, alice, north):
    current, earlier = requests
    html = card_of(alice)
    assert 'id="reports-due"' in html
    card = html.split('id="reports-due"', 1)[1].split("</li>\n</ul>", 1)[0]
    for period in (current, earlier):
        link = reverse(
            "report_detail",
            kwargs={"org": "north", "submission_id": submission_of(north, period).pk},
        )
        assert link in card
        assert period.label in card
    assert "Late" in card
    assert "Not started" in card
    # The late one first: its deadline came first.
    assert card.index(earlier.label) < card.index(current.label)


def test_the_card_follows_the_state_from_draft_to_sent_and_then_leaves(requests, alice, north):
    current, _earlier = requests
    submission = submission_of(north, current)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    states = {item.submission.pk: item.state for item in access.open_requests(north)}
    assert states[submission.pk] == "draft"
    actions.send_submission(actor=alice, submission=submission_of(north, current))
    states = {item.submission.pk: item.state for item in access.open_requests(north)}
    assert states[submission.pk] == "sent"
    assert "Sent" in card_of(alice)
    # Once its deadline has passed a sent report is done, and leaves the card.
    later = access.open_requests(north, today=days(11))
    assert submission.pk not in {item.submission.pk for item in later}


def test_a_correction_in_progress_is_a_draft_never_late(requests, alice, north):
    _current, earlier = requests
    submission = submission_of(north, earlier)
    actions.save_figures(
        actor=alice, submission=submission, figures=sample_figures(), source=Source.MANUAL
    )
    actions.send_submission(actor=alice, submission=submission_of(north, earlier))
    actions.start_correction(actor=alice, submission=submission_of(north, earlier))
    states = {item.submission.pk: item.state for item in access.open_requests(north)}
    assert states[submission.pk] == "draft"


def test_only_those_who_send_reports_see_the_card(requests, alice, victor, carol, cora):
    assert 'id="reports-due"' not in card_of(victor)
    assert 'id="reports-due"' not in card_of(carol)
    assert 'id="reports-due"' not in card_of(cora, "coalition")


def test_with_nothing_asked_the_card_says_so(alice, north, coalition):
    assert "Nothing is due" in card_of(alice)


def test_the_api_lists_the_same_requests(requests, alice, north, victor):
    current, earlier = requests
    response = client_for(alice).get("/api/orgs/north/reports/due", headers=api_headers(alice))
    assert response.status_code == 200
    body = response.json()
    assert [(row["period"]["id"], row["state"]) for row in body] == [
        (earlier.pk, "late"),
        (current.pk, "not_started"),
    ]
    assert body[1]["deadline"] == current.deadline.isoformat()
    assert body[1]["previous_deadline"] is None
    assert body[0]["network"] == "coalition"
    one = client_for(alice).get(
        f"/api/orgs/north/reports/{body[0]['id']}", headers=api_headers(alice)
    )
    assert one.json()["state"] == "late"
    assert one.json()["deadline"] == earlier.deadline.isoformat()
    assert one.json()["asked"] is True
    refused = client_for(victor).get("/api/orgs/north/reports/due", headers=api_headers(victor))
    assert refused.status_code == 403

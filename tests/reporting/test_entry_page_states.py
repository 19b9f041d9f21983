"""The entry page of a report that cannot be changed says why instead of offering a form,
and the dashboard's export answers a bad choice as the dashboard does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import client_for
from tests.reporting.helpers import sample_figures, send_figures, submission_of

pytestmark = pytest.mark.django_db


def test_a_sent_report_s_entry_page_says_it_is_locked(period, north, alice):
    submission = submission_of(north, period)
    url = reverse("report_entry", kwargs={"org": north.slug, "submission_id": submission.pk})
    client = client_for(alice)
    assert 'name="cell:persons.status|new"' in client.get(url).content.decode()

    send_figures(alice, north, period, sample_figures())
    page = client.get(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert "This report was sent and is locked; start a correction to change it." in body
    assert "<form" not in body.split("<main", 1)[-1].split("</main>", 1)[0]
    assert 'name="cell:' not in body


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("start=2026-13-01", "Enter a valid date."),
        ("kind=decade", "Select a valid choice."),
        ("start=2026-06-01&end=2026-01-01", "The end comes before the start."),
    ],
)
def test_the_export_answers_a_bad_choice_with_the_dashboard_s_400(period, cora, query, error):
    client = client_for(cora)
    dashboard = client.get(
        reverse("reporting_dashboard", kwargs={"org": "coalition"}) + f"?{query}"
    )
    export = client.get(
        reverse("reporting_dashboard_export", kwargs={"org": "coalition"}) + f"?format=xlsx&{query}"
    )
    assert dashboard.status_code == export.status_code == 400
    assert error in export.content.decode()

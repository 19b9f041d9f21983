"""A coordinator's trends show each period's figures next to that period's view by member:
together they must not give back a figure the view by member withholds (decision 31)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Literal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.organisations import actions as directory
from haven.reporting import access, actions, report
from haven.reporting.dashboard import TREND_TABLES, build_dashboard
from haven.reporting.disclosure import TOTAL
from haven.reporting.models import ReportingPeriod, Source
from haven.reporting.report import TableView, review_views
from haven.reporting.schema import BY_KEY, Table, section_tables
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.helpers import open_period, quarters_back, send_figures, submission_of

pytestmark = pytest.mark.django_db

CALLS = "calls.channel"
TREND_SECTIONS = {BY_KEY[key].section for key in TREND_TABLES}


@pytest.fixture
def west(coalition, cora):
    """A second member of the coalition."""
    organisation = make_organisation("west", name="West Legal Clinic", country="PT")
    directory.add_membership(actor=cora, network=coalition, organisation=organisation)
    return organisation


def _calls(phone: int, sms: int = 0) -> dict[tuple[str, str], Decimal]:
    return {(CALLS, "phone"): Decimal(phone), (CALLS, "sms"): Decimal(sms)}


@pytest.fixture
def quarters(coalition, cora, north, alice, west):
    """Two quarters without noise. In the latest, West's 2 phone calls are withheld for being
    few, and so is the network's phone total (32): less North's 30, shown, it gives the 2."""
    earlier, latest = (
        open_period(cora, coalition, start, epsilon=Decimal(0), budget=Decimal(0))
        for start in quarters_back(2)
    )
    wes = make_user("wes", west, Role.ORGANISATION_ADMIN)
    send_figures(alice, north, earlier, _calls(40, 25))
    send_figures(wes, west, earlier, _calls(35, 30))
    send_figures(alice, north, latest, _calls(30))
    send_figures(wes, west, latest, _calls(2, 20))
    return earlier, latest


def _by_member(period, section: str = "calls") -> dict[str, TableView]:
    """The period's view by member of a section, as the coordinator's review shows it."""
    statuses = access.member_statuses(period)
    return {
        view.table.key: view
        for view in review_views(period, "member", section_tables(section), statuses)
    }


def _trends(coalition, periods) -> dict[str, TableView]:
    dashboard = build_dashboard(coalition, "quarter", list(periods))
    return {section.view.table.key: section.view for section in dashboard.trends}


def test_a_trend_withholds_a_period_total_its_view_by_member_withholds(
    coalition, quarters, north, west
):
    earlier, latest = quarters
    by_member = _by_member(latest)[CALLS]
    assert by_member.cell("phone", str(north.pk)).value == 30
    assert by_member.cell("phone", str(west.pk)).withheld
    assert by_member.cell("phone", TOTAL).withheld, "withheld only to protect West's 2"

    trend = _trends(coalition, quarters)[CALLS]
    assert trend.cell("phone", str(latest.pk)).withheld, "32 less North's 30 would be West's 2"
    assert trend.cell("phone", TOTAL).withheld, "the two quarters less the earlier one"
    # Nothing is withheld by member in the earlier quarter: the trend shows it all.
    assert trend.cell("phone", str(earlier.pk)).value == 75
    assert trend.cell(TOTAL, str(earlier.pk)).value == 130
    assert trend.cell(TOTAL, str(latest.pk)).value == 52


def test_whatever_a_trend_shows_of_a_period_its_view_by_member_shows(coalition, quarters):
    trends = _trends(coalition, quarters)
    for period in quarters:
        views = {
            key: view
            for section in TREND_SECTIONS
            for key, view in _by_member(period, section).items()
        }
        for key, trend in trends.items():
            for (row, column), shown in trend.cells.items():
                if column == str(period.pk) and not shown.withheld:
                    assert views[key].cell(row, TOTAL) == shown, (key, row, period)


def test_the_dashboard_file_withholds_it_too(coalition, quarters, cora):
    _earlier, latest = quarters
    exported = client_for(cora).get(
        reverse("reporting_dashboard_export", kwargs={"org": "coalition"}) + "?format=csv"
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    [phone] = [
        row for row in rows
        if (row["table"], row["category"], row["column"]) == (CALLS, "phone", str(latest.pk))
    ]  # fmt: skip
    assert (phone["value"], phone["withheld"]) == ("", "yes")


def member_views_drawn(monkeypatch: pytest.MonkeyPatch) -> list[ReportingPeriod]:
    """The periods whose views by member are drawn from now on (not read from the cache);
    views by country are left out: the dashboard's breakdowns by country are the latest
    period's review by country, which no test here opens."""
    drawn: list[ReportingPeriod] = []
    drawing = report._drawn

    def counted(
        period: ReportingPeriod, by: Literal["member", "country"], chosen: list[Table]
    ) -> object:
        if by == "member":
            drawn.append(period)
        return drawing(period, by, chosen)

    monkeypatch.setattr(report, "_drawn", counted)
    return drawn


def test_trends_and_reviews_share_the_views_by_member_they_remember(
    coalition, quarters, cora, monkeypatch
):
    # Reviews opened first: the dashboard draws no view by member anew.
    for period in quarters:
        for section in TREND_SECTIONS:
            _by_member(period, section)
    drawn = member_views_drawn(monkeypatch)
    build_dashboard(coalition, "quarter", list(quarters))
    assert drawn == []

    # The dashboard first: the review then reads the views it drew.
    cache.clear()
    build_dashboard(coalition, "quarter", list(quarters))
    page = reverse("period_review", kwargs={"org": "coalition", "period_id": quarters[0].pk})
    with CaptureQueriesContext(connection) as queries:
        review = client_for(cora).get(page, {"by": "member", "section": "calls"})
    assert review.status_code == 200
    assert not [query for query in queries if "reporting_figure" in query["sql"]]


def test_a_correction_shows_at_once_in_the_trend(coalition, quarters, west):
    _earlier, latest = quarters
    assert _trends(coalition, quarters)[CALLS].cell("phone", str(latest.pk)).withheld
    wes = User.objects.get(username="wes")
    actions.start_correction(actor=wes, submission=submission_of(west, latest))
    actions.save_figures(
        actor=wes,
        submission=submission_of(west, latest),
        figures=_calls(12, 20),
        source=Source.MANUAL,
    )
    actions.send_submission(actor=wes, submission=submission_of(west, latest), reason="Recounted")
    assert _trends(coalition, quarters)[CALLS].cell("phone", str(latest.pk)).value == 42


def test_a_sending_has_its_period_totals_drawn_for_the_dashboard(
    coalition, quarters, west, monkeypatch, django_capture_on_commit_callbacks
):
    earlier, latest = quarters
    wes = User.objects.get(username="wes")
    actions.start_correction(actor=wes, submission=submission_of(west, latest))
    actions.save_figures(
        actor=wes, submission=submission_of(west, latest), figures=_calls(3), source=Source.MANUAL
    )
    cache.clear()
    # The tests' task backend runs each task as it is queued, after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_submission(
            actor=wes, submission=submission_of(west, latest), reason="Recounted"
        )
    drawn = member_views_drawn(monkeypatch)
    build_dashboard(coalition, "quarter", list(quarters))
    # The latest quarter's were drawn after its sending; the earlier one's, forgotten here,
    # by the dashboard.
    assert latest not in drawn
    assert earlier in drawn


def test_the_dashboard_names_each_periods_threshold_when_they_differ(coalition, quarters, cora):
    earlier, latest = quarters
    page = reverse("reporting_dashboard", kwargs={"org": "coalition"})
    assert "a count below 10, or another" in client_for(cora).get(page).content.decode()
    ReportingPeriod.objects.filter(pk=earlier.pk).update(threshold=5)
    content = client_for(cora).get(page).content.decode()
    assert f"its period's threshold ({earlier.label}: 5; {latest.label}: 10)" in content

"""The dashboard's breakdowns of the latest period are the period's reviews' own views:
controlled apart, they withheld other cells than the reviews, and the two side by side
could give a withheld figure back (decision 31)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from haven.accounts.permissions import Role
from haven.organisations import actions as directory
from haven.reporting import access
from haven.reporting.dashboard import SITUATION_TABLES, build_dashboard
from haven.reporting.report import TableView, review_views
from haven.reporting.schema import BY_KEY, section_tables
from tests.conftest import make_organisation, make_user
from tests.reporting.helpers import open_period, quarters_back, sample_figures, send_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter(coalition, cora, north, alice):
    """North and West send; each has 3 men among its persons, withheld for being few, and
    the persons section's control reaches further than one table alone would."""
    west = make_organisation("west", name="West Legal Clinic", country="PT")
    directory.add_membership(actor=cora, network=coalition, organisation=west)
    period = open_period(
        cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=Decimal(0)
    )
    send_figures(alice, north, period, sample_figures(persons=40))
    send_figures(make_user("wes", west, Role.ORGANISATION_ADMIN), west, period, sample_figures(30))
    return period


def _cells(view: TableView) -> dict[tuple[str, str], Decimal | None]:
    return {position: shown.value for position, shown in view.cells.items()}


def _review(period, by, key: str) -> TableView:
    statuses = access.member_statuses(period)
    views = review_views(period, by, section_tables(BY_KEY[key].section), statuses)
    return next(view for view in views if view.table.key == key)


def test_the_breakdowns_show_what_the_reviews_show(coalition, quarter):
    dashboard = build_dashboard(coalition, "quarter", [quarter])
    assert dashboard.by_member is not None
    assert dashboard.by_country is not None
    assert _cells(dashboard.by_member.view) == _cells(_review(quarter, "member", "persons.status"))
    assert _cells(dashboard.by_country.view) == _cells(
        _review(quarter, "country", "persons.status")
    )
    [services] = dashboard.services
    assert _cells(services.view) == _cells(_review(quarter, "country", "services.deliveries"))
    for section, key in zip(dashboard.situation, SITUATION_TABLES, strict=True):
        assert _cells(section.view) == _cells(_review(quarter, "country", key))


def test_the_breakdowns_are_drawn_as_the_reviews_and_shared_with_them(coalition, quarter):
    from django.core.cache import cache

    from haven.reporting import report

    cache.clear()
    build_dashboard(coalition, "quarter", [quarter])
    revisions = access.revision_numbers([quarter])[quarter.pk]
    for by, key in [("member", "persons.status"), ("country", "persons.status")] + [
        ("country", key) for key in ("services.deliveries", *SITUATION_TABLES)
    ]:
        review = (quarter, by, section_tables(BY_KEY[key].section), revisions)
        # The review the coordinator opens next finds the dashboard's views remembered.
        assert cache.get(report._review_key(review)) is not None, (by, key)  # type: ignore[arg-type]

"""Demo reporting: monthly periods of the global coalition, sent figures computed from the
demo casework or typed in by hand, and published months."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.demo import build_demo
from haven.demo_casework import build_casework
from haven.demo_reporting import COORDINATOR, build_reporting
from haven.organisations.models import Network
from haven.reporting.models import Publication, ReportingPeriod, Revision, Submission
from tests.conftest import make_user
from tests.test_demo_casework import TODAY, _small_world

pytestmark = pytest.mark.django_db


def test_the_demo_network_reports_monthly_and_publishes_every_month_but_the_latest():
    build_demo(1)  # without casework in the test settings: three months, typed in by hand
    with scopes_disabled():
        periods = list(ReportingPeriod.objects.order_by("starts_on"))
        latest = periods[-1]
        sent = Revision.objects.filter(period=latest).count()
        asked = Submission.objects.filter(period=latest).count()
        manual = Revision.objects.filter(source="manual").count()
    assert [period.kind for period in periods] == ["month"] * 3
    assert asked - sent == 3  # a few members are late with the latest month
    # One of them was given two more weeks, and told so.
    with scopes_disabled():
        own = Submission.objects.filter(period=latest, deadline__isnull=False)
        assert [s.due_on - latest.deadline for s in own] == [datetime.timedelta(days=14)]
        assert latest.deadline_changes.get().reason
    assert manual > 0
    with scopes_disabled():
        assert not Revision.objects.filter(sent_at__gt=timezone.now()).exists()
    published = Publication.objects.filter(status="published")
    assert published.count() == 2
    assert all(publication.persons > 0 for publication in published)
    page = Client().get("/networks/global-coalition/figures/").content.decode()
    assert "member organisations supported more than" in page
    assert "counts twice" in page


def test_with_casework_most_members_send_computed_figures_and_a_few_type_them_in():
    _small_world()
    network_org = Network.objects.get(slug="global-coalition").organisation
    make_user(COORDINATOR, network_org, "network_coordinator", mfa=False)
    build_casework(3, today=TODAY)
    counts = build_reporting(3, months=2, today=TODAY + datetime.timedelta(days=20))
    with scopes_disabled():
        sources = set(Revision.objects.values_list("source", flat=True))
        computed = Submission.objects.filter(source="computed").first()
    assert counts["periods"] == 2
    assert counts["publications"] == 1
    assert "computed" in sources
    assert computed is not None
    assert set(computed.left_out) == {"persons", "services", "calls", "stays"}

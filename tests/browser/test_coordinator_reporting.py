"""A coordinator asks for a quarter's figures, a member computes and sends them, the
coordinator reviews and publishes, and the public page shows them with small cells withheld."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.organisations.models import Membership, Network
from haven.reporting.models import Publication, Revision
from tests.browser.conftest import Console
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.conftest import build_casework, last_quarter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Any, user: Any, live_server: Any) -> None:
    # Logging in through the form is test_login_mfa's business.
    session = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_a_coordinator_runs_a_quarter_from_asking_to_the_public_page(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter", country="FR")
    hub = make_organisation("coalition", name="Coalition", kind="network", country="BE")
    network = Network.objects.create(organisation=hub, slug="coalition")
    Membership.objects.create(network=network, organisation=north, category="member")
    coordinator = make_user("cora", hub, Role.NETWORK_COORDINATOR, mfa=False)
    admin = make_user("alice", north, Role.ORGANISATION_ADMIN)
    caseworker = make_user("carol", north, Role.CASEWORKER)
    build_casework(north, caseworker, last_quarter(), persons=45)
    page = phone_page

    # Ask: the coordinator opens a period for last quarter, the form's default.
    sign_in(page, coordinator, live_server)
    page.goto(f"{live_server.url}/o/coalition/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Coalition reporting"
    ).click()
    page.get_by_role("link", name="Ask members for a report").click()
    page.get_by_role("button", name="Ask the members").click()
    page.wait_for_url(re.compile(r"/o/coalition/reporting/periods/\d+/$"))
    review_url = page.url
    assert "North Shelter" in page.inner_text("#statuses")
    assert "Sent" not in page.inner_text("#statuses tbody")
    # North's data officer is away: it gets a later deadline of its own.
    page.get_by_role("link", name="Own deadline North Shelter").click()
    later = (timezone.localdate() + datetime.timedelta(days=45)).isoformat()
    page.get_by_label("New deadline").fill(later)
    page.get_by_label("Note to the members").fill("Take the time you need.")
    page.get_by_role("button", name="Change the deadline").click()
    page.wait_for_url(review_url)
    assert "own" in page.inner_text("#statuses tbody")
    assert "Take the time you need." in page.inner_text("#deadline-changes")

    # Send: the member's admin finds the report on its dashboard's card, computes the
    # figures from casework and sends them.
    sign_in(page, admin, live_server)
    page.goto(f"{live_server.url}/o/north/")
    card = page.locator("#reports-due")
    # The quarter is over, so asking for it computed every member's draft in the
    # background already (decision 34); the admin reviews it and may compute it again.
    assert "Draft" in card.inner_text()
    assert "changed from" in card.inner_text()
    card.get_by_role("link", name=re.compile("for Coalition")).click()
    page.get_by_role("button", name="Compute again from casework").click()
    assert "Figures computed from your casework" in page.inner_text("main .messages")
    left_out = page.inner_text("#left-out")
    assert "Left out for want of consent" in left_out
    page.get_by_role("button", name="Send to Coalition").click()
    assert "It is locked now." in page.inner_text("main .messages")
    assert page.inner_text("#status") == "Sent"

    # Review and publish: the coordinator sees figures, never what consent left out.
    sign_in(page, coordinator, live_server)
    page.goto(review_url)
    assert "Sent" in page.inner_text("#statuses tbody")
    figures = page.inner_text("main")
    assert "Figures received" in figures
    assert "Left out" not in figures
    assert "±" in figures
    # The members' table scrolls within the page; the page itself fits the phone.
    width = page.evaluate("[window.innerWidth, document.documentElement.scrollWidth]")
    assert width[1] <= width[0], width
    # One member of one has sent: publishing its figures needs saying so.
    assert "Only 1 of the 1 members asked has sent figures" in page.inner_text("#few-members")
    page.get_by_label("Publish them all the same").check()
    page.get_by_role("button", name="Generate and publish the figures").click()
    page.wait_for_url(re.compile(r"/o/coalition/reporting/publications/\d+/$"))
    page.wait_for_selector("text=See it on the public page")
    assert page.get_attribute("#publication-progress", "value") == "100"

    # The public page, for anyone.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{reverse('network_figures', kwargs={'network': 'coalition'})}")
    public = page.inner_text("main")
    assert re.search(r"1 member organisation (supported more than|reported figures)", public)
    assert "A person supported by two members counts twice" in public
    # Small counts, and the figures withheld to protect them, all read alike.
    assert "withheld" in public
    assert "<10" not in public
    assert page.locator("main svg[role=img]").count() >= 3
    assert page.locator("main table").count() >= page.locator("main svg[role=img]").count()

    with scopes_disabled():
        assert Revision.objects.filter(organisation=north, is_current=True).count() == 1
    assert Publication.objects.get(network=network).status == "published"
    assert console.csp_violations() == []
    assert console.failed_requests == []

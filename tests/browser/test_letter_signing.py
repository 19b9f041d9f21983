"""An organisation outside Haven asks to sign a letter on a phone, confirms by e-mail, is
approved by the letter's owner, and appears in its group on the published page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.letters import actions
from haven.letters.models import OrganisationSignature, SignatureStatus
from haven.organisations.models import Network
from tests.browser.conftest import Console
from tests.conftest import PASSWORD, make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_outside_organisation_asks_confirms_is_approved_and_appears_in_its_group(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    coalition = make_organisation("coalition", name="Coalition", kind="network", country="BE")
    Network.objects.create(organisation=coalition, slug="coalition")
    officer = make_user("ada", coalition, Role.ADVOCACY_OFFICER, mfa=False)
    with scopes_disabled():
        letter = actions.create_letter(
            actor=officer,
            owner=coalition,
            title="Letter to the committee",
            body="We call on the committee to **act**.",
            language="en",
        )
        letter = actions.move_letter(actor=officer, letter=letter, move="open")
    page = phone_page

    # The request, on a phone, by someone with no account.
    page.goto(f"{live_server.url}/letters/coalition/{letter.slug}/sign/")
    assert "We call on the committee to act." in page.inner_text("article")
    page.fill("#id_name", "Fundación Camino Claro")
    page.select_option("#id_country", "MX")
    page.select_option("#id_category", label="Domestic NGOs")
    page.fill("#id_website", "https://camino.example.org")
    page.fill("#id_signer_name", "Rosa Example")
    page.fill("#id_signer_role", "Director")
    page.fill("#id_signer_email", "rosa@camino.example.org")
    page.check("#id_entitled")
    page.get_by_role("button", name="Ask to sign").click()
    page.wait_for_url(re.compile(r"/sign/sent/$"))
    assert "Check your e-mail" in page.inner_text("main h1")

    # The e-mail's link opens a page with a button; only the button confirms.
    [message] = mail.outbox
    link = re.search(r"https?://\S+/confirm/\S+/", str(message.body))
    assert link is not None
    path = "/" + link.group(0).split("://", 1)[1].split("/", 1)[1]
    page.goto(f"{live_server.url}{path}")
    with scopes_disabled():
        assert OrganisationSignature.objects.get().status == SignatureStatus.UNCONFIRMED
    page.get_by_role("button", name="Confirm the request").click()
    page.wait_for_selector("text=Request confirmed")

    # The owner signs in, approves the request and publishes the letter.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "ada")
    page.fill("#id_password", PASSWORD)
    page.locator("main form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/o/coalition/$"))
    page.goto(f"{live_server.url}/o/coalition/letters/{letter.pk}/")
    page.get_by_role("link", name="Fundación Camino Claro").click()
    assert "rosa@camino.example.org" in page.inner_text("main")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Save the decision").click()
    page.wait_for_url(re.compile(rf"/o/coalition/letters/{letter.pk}/$"))
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=The letter is now “Published”.")

    # The public page lists it with its country, under the group it asked for.
    page.goto(f"{live_server.url}/letters/coalition/{letter.slug}/")
    group = page.get_by_role("region", name=re.compile(r"^Domestic NGOs"))
    assert "Fundación Camino Claro, Mexico" in group.inner_text()
    assert "from 1 organisation" in page.inner_text("article").lower()
    assert "now signs" in mail.outbox[-1].subject
    assert console.csp_violations() == []

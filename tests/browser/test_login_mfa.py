"""A new caseworker logs in on a phone, enrols TOTP, reaches the dashboard and logs out."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from allauth.mfa.models import Authenticator

from haven.accounts.permissions import Role
from tests.browser.conftest import Console
from tests.conftest import PASSWORD, make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page: Any, form_action: str) -> None:
    page.locator(f"main form[action='{form_action}'] button[type=submit]").click()


def test_a_caseworker_logs_in_enrols_totp_and_reaches_the_dashboard(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter")
    caseworker = make_user("casey", north, Role.CASEWORKER, mfa=False)
    page = phone_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "casey")
    page.fill("#id_password", PASSWORD)
    submit(page, "/accounts/login/")

    # Seeing persons needs a second factor: the dashboard sends her to set one up, and
    # allauth first asks her to confirm her password.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert "Set up two-factor authentication" in page.inner_text("main")
    page.fill("#id_password", PASSWORD)
    submit(page, "/accounts/reauthenticate/")

    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    secret = page.input_value("#authenticator_secret")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.fill("#id_code", pyotp.TOTP(secret).now())
    submit(page, "/accounts/2fa/totp/activate/")

    # allauth hands out recovery codes together with the first authenticator.
    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    assert Authenticator.objects.filter(user=caseworker, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(
        user=caseworker, type=Authenticator.Type.RECOVERY_CODES
    ).exists()

    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/o/north/$"))
    assert page.locator("main h1").inner_text() == "North Shelter"
    # The stylesheet and htmx load and run under the policy.
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") in (
        "absolute",
        "fixed",
    )
    # The page works on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    page.goto(f"{live_server.url}/o/north/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))

    assert console.csp_violations() == []
    assert console.failed_requests == []


def test_a_caseworker_with_totp_passes_the_second_step_to_log_in(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter")
    caseworker = make_user("tess", north, Role.CASEWORKER, mfa=False)
    secret = pyotp.random_base32()
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(caseworker, secret)
    page = phone_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "tess")
    page.fill("#id_password", PASSWORD)
    submit(page, "/accounts/login/")

    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/$"))
    page.fill("#id_code", pyotp.TOTP(secret).now())
    submit(page, "/accounts/2fa/authenticate/")

    page.wait_for_url(re.compile(r"/o/north/$"))
    assert page.locator("main h1").inner_text() == "North Shelter"
    assert console.csp_violations() == []
    assert console.failed_requests == []

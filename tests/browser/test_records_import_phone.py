"""An organisation admin checks an import file on a phone-sized screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from haven.accounts.permissions import Role
from tests.browser.conftest import Console
from tests.browser.test_accessibility import preview_an_import
from tests.browser.test_caseworker_phone import fits_the_screen
from tests.conftest import client_for, make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_preview_of_an_import_fits_a_phone(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter")
    # Importing people needs what recording them by hand needs: the caseworker's roles.
    admin = make_user("carol", north, Role.CASEWORKER)
    page = phone_page
    session = client_for(admin).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/o/north/records/import/")
    preview_an_import(page)

    # The 64 characters of the file's SHA-256 are one word; they must wrap, not widen.
    checksum = page.locator("main code.wrap-anywhere")
    assert re.fullmatch(r"[0-9a-f]{64}", checksum.inner_text())
    assert fits_the_screen(page)
    assert not console.csp_violations()

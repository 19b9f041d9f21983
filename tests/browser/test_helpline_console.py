"""An operator logs two calls on a phone-sized screen with the keyboard, without reloading."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.helpline.models import HelplineCall
from tests.browser.conftest import Console
from tests.conftest import make_organisation, make_user

SCREENSHOT = os.environ.get("HAVEN_HELPLINE_SCREENSHOT", "")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_name(page: Any) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.name"))


def test_an_operator_logs_calls_from_the_keyboard_and_the_form_comes_back_ready(
    phone_page: Any,
    console: Console,
    flushable_audit_trail: None,
    live_server: Any,
) -> None:
    north = make_organisation("north", name="North Shelter", languages=["fr"])
    operator = make_user("olga", north, Role.HELPLINE_OPERATOR)
    client = Client()
    client.force_login(operator, backend="django.contrib.auth.backends.ModelBackend")
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page = phone_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/o/north/helpline/")
    assert focused_name(page) == "caller_type"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert focused_name(page) == "topics"
    page.keyboard.press("Space")
    page.check("input[name=outcome][value=support_given]")
    page.fill("textarea[name=notes]", "asked about night shelters")
    page.focus("textarea[name=notes]")
    page.keyboard.press("Enter")

    page.wait_for_selector("#today-calls .call-row")
    page.wait_for_selector("#call-form .message-success")
    page.locator("input[name=caller_type]:focus").wait_for()
    assert page.input_value("textarea[name=notes]") == ""
    assert "1 call today" in page.inner_text("#call-counts")
    assert page.locator("#no-calls-today").is_hidden()

    # A refusal comes back into the same form, with the cursor on the field to fix.
    page.check("input[name=caller_type][value=relative]")
    page.check("input[name=outcome][value=information_given]")
    page.fill("input[name=duration_minutes]", "900")
    page.evaluate("document.querySelector('input[name=duration_minutes]').removeAttribute('max')")
    # A language not among the suggestions, typed as its name.
    page.fill("input[name=language]", "Nigerian Pidgin")
    page.focus("input[name=language]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#call-form .has-error")
    # htmx first gives focus back to the field that had it, then to the autofocused one.
    page.locator("input[name=duration_minutes]:focus").wait_for()
    page.fill("input[name=duration_minutes]", "7")
    page.keyboard.press("Enter")
    page.locator("#today-calls .call-row").nth(1).wait_for()
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)

    with scopes_disabled():
        calls = list(HelplineCall.objects.order_by("created_at"))
    assert [call.caller_type for call in calls] == ["person_concerned", "relative"]
    assert calls[0].topics == ["trafficking"]
    assert calls[0].notes == "asked about night shelters"
    assert calls[0].language == "fr"
    assert calls[1].duration_minutes == 7
    assert calls[1].language == "pcm"
    # The suggestions stayed on the page through both saves, and are not the 7,000.
    assert page.get_attribute("input[name=language]", "list") == "helpline-languages"
    assert 150 < page.locator("#helpline-languages option").count() < 400
    assert console.csp_violations() == []
    assert [text for text in console.messages if "rror" in text] == []
    # The one refusal above is the only request that failed: no missing script or style.
    assert console.failed_requests == [f"400 {live_server.url}/o/north/helpline/"]

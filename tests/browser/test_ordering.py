"""An advocacy officer reorders registration questions on a phone: htmx swaps the list in
place and the focus stays on the button pressed; without htmx the same buttons post."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.events import actions
from haven.events.models import Question
from tests.browser.conftest import Console
from tests.conftest import client_for, make_organisation, make_user
from tests.events.world import published_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page: Any, element_id: str) -> None:
    """Wait until the element has the focus; fail, naming what has it, if it never does."""
    try:
        page.wait_for_function(
            "id => document.activeElement && document.activeElement.id === id",
            arg=element_id,
            timeout=5000,
        )
    except Exception:
        holder = page.evaluate("document.activeElement && document.activeElement.id")
        raise AssertionError(f"{element_id} never got the focus ({holder!r} has it)") from None


def test_questions_move_in_place_and_keep_the_focus(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter")
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)
    with scopes_disabled():
        event = published_event(north, officer, title="Evening debate")
        first, second, third = (
            actions.save_question(actor=officer, event=event, label=label)
            for label in ("Organisation", "Press card", "Accessibility needs")
        )
    session = client_for(officer).cookies[settings.SESSION_COOKIE_NAME].value
    page = phone_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    address = live_server.url + reverse(
        "event_questions", kwargs={"org": "north", "event_id": event.pk}
    )
    page.goto(address, wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Move “Press card” up").click()
    page.locator("#question-list > li").first.filter(has_text="Press card").wait_for()
    # Swapped in place: the same page, the focus still on the button pressed.
    assert page.url == address
    # The focus comes back once htmx has settled the swap, a moment after the list changed.
    focused(page, f"question-{second.pk}-up")
    assert page.locator("#order-status").inner_text() == "Moved."
    with scopes_disabled():
        order = list(
            Question.objects.filter(event=event).order_by("position").values_list("pk", flat=True)
        )
    assert order == [second.pk, first.pk, third.pk]

    # Keyboard: the focused button again moves it down, back where it was.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("#question-list > li").nth(1).filter(has_text="Press card").wait_for()
    focused(page, f"question-{second.pk}-down")

    # Without JavaScript the same buttons post the form and come back to the row.
    nojs = page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    nojs.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    plain = nojs.new_page()
    plain.goto(address)
    plain.get_by_role("button", name="Move “Accessibility needs” up").click()
    plain.wait_for_url(f"{address}#question-{third.pk}")
    assert "Moved." in plain.locator(".messages").inner_text()
    nojs.close()
    with scopes_disabled():
        order = list(
            Question.objects.filter(event=event).order_by("position").values_list("pk", flat=True)
        )
    assert order == [first.pk, third.pk, second.pk]
    assert console.csp_violations() == []

"""A visitor registers for an evening event, gets the ticket by e-mail, and is admitted once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.events import access, actions, content
from haven.events.models import Question, Registration
from tests.browser.conftest import Console
from tests.conftest import client_for, make_organisation, make_user
from tests.events.world import published_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_registers_and_door_staff_check_them_in_on_a_phone(
    phone_page: Any, console: Console, flushable_audit_trail: None, one_request_at_a_time: Any
) -> None:
    live_server = one_request_at_a_time
    north = make_organisation("north", name="North Shelter")
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER)
    door = make_user("dora", north, Role.DOOR_STAFF, mfa=False)
    with scopes_disabled():
        event = published_event(
            north,
            officer,
            title="Evening debate",
            capacity=50,
            id_check=True,
            languages=["en", "fr"],
            interpretation=["en", "fr"],
        )
        Question.objects.create(
            event=event, label="Interpretation into", kind="language", show_at_door=True
        )
    page = phone_page

    # The visitor registers on the public page.
    page.goto(f"{live_server.url}/events/north/{event.slug}/register/")
    page.get_by_label("Your name").fill("Inès Moreau")
    page.get_by_label("Your e-mail").fill("ines@example.org")
    page.get_by_label("Interpretation into").select_option("fr")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/registered/$"))

    # The ticket e-mail, with the QR code as a PNG.
    tickets = [message for message in mail.outbox if "ines@example.org" in message.to]
    assert tickets, [message.subject for message in mail.outbox]
    attachments = [
        attachment
        for message in tickets
        for attachment in getattr(message, "attachments", [])
        if attachment[2] == "image/png"
    ]
    assert attachments
    assert attachments[0][1][:8] == b"\x89PNG\r\n\x1a\n"
    with scopes_disabled():
        registration = Registration.objects.get(event=event)
        code = access.ticket_code(registration)

    # Door staff, signed in on the phone.
    session = client_for(door).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("door_events", kwargs={"org": "north"}), wait_until="load")
    page.get_by_role("link", name="Evening debate").click()
    page.wait_for_url(re.compile(r"/door/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The door list arrives for offline use.
    page.wait_for_function(f"() => !!localStorage.getItem('haven.door.{event.pk}.list')")

    page.get_by_label("Code on the ticket").fill(code)
    page.get_by_role("button", name="Admit").click()
    result = page.locator("#door-result")
    result.get_by_text("Check the ID or press card first").wait_for()
    assert page.locator("#door-registrant").inner_text().startswith("Inès Moreau")
    assert "Interpretation into: French" in page.locator("#door-registrant").inner_text()

    page.get_by_label("I checked the ID or press card").check()
    page.get_by_role("button", name="Admit").click()
    result.get_by_text("Admitted", exact=True).wait_for()
    page.locator("#count-checked_in").filter(has_text="1").wait_for()

    # The same ticket again: refused.
    page.get_by_label("Code on the ticket").fill(code)
    page.get_by_label("I checked the ID or press card").check()
    page.get_by_role("button", name="Admit").click()
    result.get_by_text(re.compile(r"^Already checked in at \d\d:\d\d$")).wait_for()
    # A refusal clears the ID box too: the next ticket needs its own ID check.
    assert not page.get_by_label("I checked the ID or press card").is_checked()
    # The connection drops: a ticket from the door list is admitted on this phone, queued,
    # and synced when the connection returns.
    with scopes_disabled():
        second = actions.register(event=event, name="Paul Offline", email="paul@example.org")
        assert second.booker is not None
        second_code = access.ticket_code(second.booker)
    page.reload()
    key = f"haven.door.{event.pk}"
    stored = f"localStorage.getItem('{key}.list') || '{{}}'"
    page.wait_for_function(f"() => (JSON.parse({stored}).rows || []).length === 2")
    # The phone keeps no name in the clear: each opens only with its own ticket's code.
    kept = page.evaluate(f"() => {stored}")
    assert "Paul Offline" not in kept
    assert "Inès" not in kept
    assert "example.org" not in kept
    page.context.set_offline(True)
    # Typed as printed under the QR code, in groups, here with dashes: the phone reads it.
    dashed = content.grouped_code(second_code).replace(" ", "-")
    page.get_by_label("Code on the ticket").fill(dashed)
    page.get_by_label("I checked the ID or press card").check()
    page.get_by_role("button", name="Admit").click()
    result.get_by_text(re.compile(r"^Offline: admitted on this phone")).wait_for()
    assert page.locator("#door-registrant").inner_text().startswith("Paul Offline")
    assert "Paul Offline" not in page.evaluate(f"() => localStorage.getItem('{key}.queue')")
    page.context.set_offline(False)
    result.get_by_text(re.compile(r"^Offline check-ins synced: 1$")).wait_for()
    with scopes_disabled():
        second.booker.refresh_from_db()
        assert second.booker.checked_in_at is not None
        registration.refresh_from_db()
    assert registration.checked_in_at is not None
    assert registration.id_checked

    # A shared phone: logging out deletes the list and what was admitted on it.
    assert page.evaluate(f"() => localStorage.getItem('{key}.admitted')") is not None
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    left = page.evaluate("() => Object.keys(localStorage)")
    assert [name for name in left if name.startswith("haven.door.")] == []

    # Whatever outlives its time goes too: an old list and one kept the old way (no expiry),
    # while an unsynced queue of another event waits for its sync.
    past = "2000-01-01T00:00:00+00:00"
    future = "2999-01-01T00:00:00+00:00"
    page.evaluate(
        f"""() => {{
        localStorage.setItem('{key}.list', JSON.stringify({{keep_until: '{past}', rows: []}}));
        localStorage.setItem('haven.door.999.list', JSON.stringify({{rows: []}}));
        localStorage.setItem('haven.door.998.queue',
            JSON.stringify({{keep_until: '{future}', items: [{{code: 'x'}}]}}));
    }}"""
    )
    session = client_for(door).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(live_server.url + reverse("door_events", kwargs={"org": "north"}), wait_until="load")
    page.wait_for_function(f"() => localStorage.getItem('{key}.list') === null")
    left = page.evaluate("() => Object.keys(localStorage)")
    assert [name for name in left if name.startswith("haven.door.")] == ["haven.door.998.queue"]
    # Logging out from any page leads to the login page, which forgets the lists too.
    page.evaluate(
        f"() => localStorage.setItem('{key}.list', JSON.stringify({{keep_until: '{future}'}}))"
    )
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.wait_for_function(f"() => localStorage.getItem('{key}.list') === null")
    assert page.evaluate("() => localStorage.getItem('haven.door.998.queue')") is not None
    assert console.csp_violations() == []


def test_a_registrant_cancels_from_the_page_their_e_mail_links_to(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    page = phone_page
    north = make_organisation("north", name="North Shelter")
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER)
    with scopes_disabled():
        event = published_event(north, officer, title="Evening debate", capacity=50)
        booker = actions.register(event=event, name="Inès Moreau", email="ines@example.org")
        assert booker.booker is not None
        token = access.manage_token(booker.booker)
    own_page = reverse(
        "event_registration", kwargs={"org": "north", "event": event.slug, "token": token}
    )

    page.goto(live_server.url + own_page)
    # The ticket's code under its QR code fits the phone's width.
    page.locator("code.ticket-code").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # A real browser sends the Origin header with the form, as curl and the test client
    # do not: the page's Referrer-Policy decides whether it is "null".
    page.get_by_role("button", name="Cancel my registration").click()
    # A second step asks before the place is given up.
    page.get_by_role("button", name="Yes, cancel my registration").click()
    page.get_by_text("cancelled", exact=False).first.wait_for()
    with scopes_disabled():
        booker.booker.refresh_from_db()
        assert booker.booker.cancelled_at is not None
    assert console.csp_violations() == []


def test_admitting_by_name_without_the_id_check_says_so_as_the_code_does(
    phone_page: Any, flushable_audit_trail: None, one_request_at_a_time: Any
) -> None:
    live_server = one_request_at_a_time
    north = make_organisation("north", name="North Shelter")
    officer = make_user("olga", north, Role.ADVOCACY_OFFICER)
    door = make_user("dora", north, Role.DOOR_STAFF, mfa=False)
    with scopes_disabled():
        event = published_event(north, officer, title="Evening debate", id_check=True)
        registration = actions.register(event=event, name="Inès Moreau", email="i@example.org")
    page = phone_page
    session = client_for(door).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    door_page = reverse("event_door", kwargs={"org": "north", "event_id": event.pk})
    page.goto(f"{live_server.url}{door_page}?q=Inès", wait_until="load")
    result = page.locator("#door-result")
    # Unticked, the browser used to stop it with its own tooltip, in its own language;
    # now the door says why, in the page's language, as for a typed code.
    page.locator("form.door-admit-form button").click()
    result.get_by_text("Check the ID or press card first").wait_for()
    page.locator("form.door-admit-form input[name=id_checked]").check()
    page.locator("form.door-admit-form button").click()
    result.get_by_text("Admitted", exact=True).wait_for()
    with scopes_disabled():
        assert registration.booker is not None
        registration.booker.refresh_from_db()
        assert registration.booker.checked_in_at is not None
        assert registration.booker.id_checked

"""The shelter board and occupancy pages on a phone-sized screen, in English and French."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.shelter.models import Facility, Stay
from tests.browser.conftest import PHONE
from tests.conftest import client_for, make_organisation, make_user
from tests.shelter.conftest import make_person, night

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The titles of tables wider than the screen: each must be read whole, not scrolled.
CUT_OFF_TITLES = """width => [...document.querySelectorAll('main table')]
    .map(table => table.caption
        || document.getElementById(table.getAttribute('aria-labelledby') || ''))
    .filter(title => {
        if (!title) return true;
        const box = title.getBoundingClientRect();
        return box.width === 0 || box.right > width || box.left < 0;
    })
    .map(title => title ? `${title.tagName} ${Math.round(title.getBoundingClientRect().right)}px`
        : 'a table without a title')"""


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("url_name", ["shelter_board", "shelter_occupancy"])
def test_table_titles_are_read_whole_on_a_phone(
    browser: Any,
    flushable_audit_trail: None,
    live_server: Any,
    language: str,
    url_name: str,
) -> None:
    north = make_organisation("north", name="North Shelter")
    caseworker = make_user("carla", north, Role.CASEWORKER)
    with scopes_disabled():
        house = Facility.objects.create(
            organisation=north, name="Maison d'accueil du port", beds=2, family_rooms=1
        )
        for code in ("P-1", "P-2"):
            Stay.objects.create(
                organisation=north,
                facility=house,
                person=make_person(north, code),
                starts_on=night(-2),
                ends_on=night(3),
            )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=language)
    try:
        page = context.new_page()
        session = client_for(caseworker).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page.goto(live_server.url + reverse(url_name, kwargs={"org": "north"}))
        if os.environ.get("HAVEN_SHOTS"):
            page.screenshot(
                path=f"{os.environ['HAVEN_SHOTS']}/{url_name}-{language}.png", full_page=True
            )
        assert page.locator("main table").count() >= 1
        assert page.evaluate(CUT_OFF_TITLES, PHONE["width"]) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()

"""What every page carries from base.html."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_every_page_names_an_icon_that_exists() -> None:
    # Without one, browsers ask for /favicon.ico, a 404 in the console of every first visit.
    page = Client().get("/accounts/login/").content.decode()
    found = re.search(r'<link rel="icon" href="/static/([^"]+)"', page)
    assert found is not None
    assert finders.find(found.group(1)) is not None


def test_a_first_time_visitor_finds_the_public_pages() -> None:
    page = Client().get("/", headers={"accept-language": "fr"}).content.decode()
    header = page[page.index('<header class="site-header">') : page.index("</header>")]
    for link in ('href="/events/"', 'href="/news/"', 'href="/accounts/login/"'):
        assert link in header
    footer = page[page.index('<footer class="site-footer">') :]
    assert 'href="/events/"' in footer
    assert 'href="/news/"' in footer


def test_pages_are_compressed_for_slow_connections() -> None:
    page = Client().get("/accounts/login/", headers={"accept-encoding": "gzip"})
    assert page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]

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

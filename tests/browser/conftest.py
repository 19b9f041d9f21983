"""Browser tests drive Debian's Chromium (never a downloaded one) through Playwright.

Without /usr/bin/chromium they are skipped with a message saying how to get it; CI sets
HAVEN_REQUIRE_BROWSER=1 so that a missing browser fails the run instead.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.signals import post_migrate

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the ORM calls the test makes between two browser actions.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("HAVEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (HAVEN_REQUIRE_BROWSER=1, so this is an error)", pytrace=False)
    pytest.skip(f"{reason}; browser tests skipped")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(
            f"Chromium not found at {CHROMIUM}: install Debian's package "
            "(apt-get install chromium) to run the browser tests"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Console:
    """What the page wrote to the browser console, to catch CSP violations."""

    messages: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.messages if "Content Security Policy" in text]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def phone_page(browser: Any, console: Console) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: console.messages.append(message.text))
    page.on("pageerror", lambda error: console.messages.append(str(error)))
    page.on(
        "response",
        lambda response: (
            console.failed_requests.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    yield page
    context.close()


def _audit_migration() -> Any:
    return importlib.import_module("haven.privacy.migrations.0002_audit_append_only")


@pytest.fixture
def flushable_audit_trail(transactional_db: None) -> Iterator[None]:
    """Let the transactional test's final flush empty the append-only audit table.

    The database refuses to delete audit events, so the triggers are lifted just
    before the flush and put back, with the chain head, as soon as it is done.
    """
    privacy = apps.get_app_config("privacy")

    def restore(**kwargs: Any) -> None:
        post_migrate.disconnect(restore, sender=privacy)
        with connection.schema_editor() as editor:
            _audit_migration().install_triggers(apps, editor)
        apps.get_model("privacy", "AuditChainHead").objects.get_or_create(pk=1)

    yield
    with connection.schema_editor() as editor:
        _audit_migration().remove_triggers(apps, editor)
    # flush sends post_migrate once it has emptied the tables.
    post_migrate.connect(restore, sender=privacy, weak=False)

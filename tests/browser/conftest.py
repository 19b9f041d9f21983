"""Browser tests drive Debian's Chromium (never a downloaded one) through Playwright.

Without /usr/bin/chromium they are skipped with a message saying how to get it; CI sets
HAVEN_REQUIRE_BROWSER=1 so that a missing browser fails the run instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture
def one_request_at_a_time(live_server: Any) -> Iterator[Any]:
    """The live server, answering one request at a time.

    The door page polls its counts while it syncs check-ins; on SQLite the live server's
    threads share the test's one in-memory connection, and two transactions interleaved
    on it break each other's savepoints. Production has a connection per worker.
    """
    server = live_server.thread.httpd
    app = server.get_app()
    lock = threading.Lock()

    def serial(environ: Any, start_response: Any) -> Any:
        with lock:
            return app(environ, start_response)

    server.set_app(serial)
    yield live_server
    server.set_app(app)

"""The counters other sites embed: they fit the frame the embed code gives them, in the
language of the page the code was copied from."""

from __future__ import annotations

import re
import threading
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from django.test import Client
from django.urls import reverse

from haven.letters import actions
from haven.petitions import actions as petitions
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _unavailable

LONG_TITLE = (
    "Open letter to the delegates of the Standard Setting Committee on the protection of "
    "people affected by trafficking and sexual exploitation in every member state"
)


def _embed_code(client: Client, page: str) -> tuple[str, int, int]:
    """The counter's path and the frame's width and height in a public page's embed code."""
    html = client.get(page).content.decode()
    textarea = re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', html, re.S)
    assert textarea is not None
    # The code is HTML, shown as text in the page: escaped twice.
    code = unescape(unescape(textarea.group(1)))
    frame = re.search(r'src="([^"]+)".*width="(\d+)" height="(\d+)"', code)
    assert frame is not None, code
    src = urlsplit(frame.group(1))
    path = src.path + (f"?{src.query}" if src.query else "")
    return path, int(frame.group(2)), int(frame.group(3))


def _layout(html: str, width: int, height: int) -> dict[str, Any]:
    """The counter laid out by Chromium in a frame of this size.

    In a thread of its own: the browser tests' Playwright may be holding its event loop in
    this one, and a second Playwright refuses to start inside it.
    """
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    found: dict[str, Any] = {}

    def measure() -> None:
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = chromium.new_page(viewport={"width": width, "height": height})
                page.set_content(html)
                found["box"] = page.eval_on_selector("a", "a => a.getBoundingClientRect().toJSON()")
                found["last"] = page.eval_on_selector(
                    "a > :last-child", "e => e.getBoundingClientRect().bottom"
                )
                found["size"] = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
                )
                chromium.close()
        except Exception as error:  # raised again in the test's own thread
            found["error"] = error

    worker = threading.Thread(target=measure)
    worker.start()
    worker.join(timeout=60)
    if "error" in found:
        raise found["error"]
    return found


def _assert_fits(html: str, width: int, height: int) -> None:
    found = _layout(html, width, height)
    assert found["box"]["bottom"] <= height, found
    assert found["last"] <= found["box"]["bottom"], "no line is cut off at the bottom of the box"
    assert found["size"][0] <= width, found
    assert found["size"][1] <= height, found


def _published_in_two_languages(letter, ada, alice, north) -> dict[str, str]:
    actions.save_text(actor=ada, letter=letter, language="en", values={"title": LONG_TITLE})
    actions.save_text(
        actor=ada, letter=letter, language="fr", values={"title": "Lettre au comité", "body": "."}
    )
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    actions.move_letter(actor=ada, letter=letter, move="publish")
    return {"org": "coalition", "letter": letter.slug}


def test_the_letter_counter_fits_its_frame(letter, ada, alice, north):
    kwargs = _published_in_two_languages(letter, ada, alice, north)
    client = Client()
    counter, width, height = _embed_code(client, reverse("letter_public", kwargs=kwargs))
    assert counter == reverse("letter_counter", kwargs=kwargs)
    _assert_fits(client.get(counter).content.decode(), width, height)


def test_the_embed_code_of_a_language_page_frames_the_counter_in_that_language(
    letter, ada, alice, north
):
    kwargs = _published_in_two_languages(letter, ada, alice, north)
    client = Client()
    french_page = reverse("letter_public_language", kwargs={**kwargs, "lang": "fr"})
    counter, _width, _height = _embed_code(client, french_page)
    assert counter == reverse("letter_counter", kwargs=kwargs) + "?lang=fr"
    framed = client.get(counter).content.decode()
    assert "Lettre au comité" in framed
    assert f'{french_page}" target="_blank"' in framed


def test_the_petition_counter_fits_its_frame(ada, coalition):
    petition = petitions.create_petition(
        actor=ada, owner=coalition.organisation, title=LONG_TITLE, body="Text.", language="en"
    )
    petitions.move_petition(actor=ada, petition=petition, move="open")
    client = Client()
    kwargs = {"org": "coalition", "petition": petition.slug}
    counter, width, height = _embed_code(client, reverse("petition_public", kwargs=kwargs))
    assert counter == reverse("petition_counter", kwargs=kwargs)
    _assert_fits(client.get(counter).content.decode(), width, height)

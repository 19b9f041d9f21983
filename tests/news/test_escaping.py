"""Summaries are plain text, typed or taken from the body, and escaped exactly once where they
are shown: pages, preview metadata, the Atom feed (type="html"), the API, calendar files."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events.models import Event
from haven.letters.content import plain_summary
from haven.organisations.models import Organisation
from tests.events.world import published_event
from tests.news.world import published_post

TYPED = "Sum <img src=x onerror=alert(1)>"
BODY = "Fish & chips <3"
ONCE = "Fish &amp; chips &lt;3"


def test_a_summary_taken_from_markdown_is_plain_text() -> None:
    assert plain_summary(BODY) == BODY
    assert plain_summary("**Bold** & <b>raw</b>") == "Bold & <b>raw</b>"


def test_a_derived_summary_is_escaped_once_on_the_list_and_in_the_metadata(
    north: Organisation, adam: User
) -> None:
    post = published_post(north, adam, "Chips", summary="", body=BODY)
    listing = Client().get(reverse("news_index")).content.decode()
    assert f"<p>{ONCE}</p>" in listing
    assert "&amp;amp;" not in listing
    page = Client().get(reverse("news_post", kwargs={"org": "north", "post": post.slug}))
    text = page.content.decode()
    for tag in (
        f'<meta name="description" content="{ONCE}">',
        f'<meta property="og:description" content="{ONCE}">',
        f'<meta name="twitter:description" content="{ONCE}">',
    ):
        assert tag in text
    assert "&amp;amp;" not in text


def test_the_atom_feed_escapes_a_typed_summary_for_its_html_type(
    north: Organisation, adam: User
) -> None:
    published_post(north, adam, "Typed", summary=TYPED)
    published_post(north, adam, "Chips", summary="", body=BODY)
    feed = Client().get(reverse("news_feed")).content.decode()
    # The XML carries the HTML-escaped text: a reader shows the tag as text.
    assert '<summary type="html">Sum &amp;lt;img src=x onerror=alert(1)&amp;gt;</summary>' in feed
    assert '<summary type="html">Fish &amp;amp; chips &amp;lt;3</summary>' in feed
    assert "<img" not in feed


def test_the_api_gives_typed_and_derived_summaries_alike_as_plain_text(
    north: Organisation, adam: User
) -> None:
    published_post(north, adam, "Typed", summary=TYPED)
    published_post(north, adam, "Chips", summary="", body=BODY)
    items = json.loads(Client().get("/api/news").content)["items"]
    summaries = {item["title"]: item["summary"] for item in items}
    assert summaries == {"Typed": TYPED, "Chips": BODY}


def test_an_event_s_description_tags_and_calendar_file_escape_once(
    north: Organisation, adam: User
) -> None:
    event: Event = published_event(north, adam, title="Supper", description=BODY)
    kwargs = {"org": "north", "event": event.slug}
    page = Client().get(reverse("event_public", kwargs=kwargs)).content.decode()
    assert f'<meta name="description" content="{ONCE}">' in page
    assert f'<meta property="og:description" content="{ONCE}">' in page
    assert "&amp;amp;" not in page
    calendar = Client().get(reverse("event_calendar", kwargs=kwargs)).content.decode()
    assert "DESCRIPTION:Fish & chips <3" in calendar

"""The public's news: lists newest first, by organisation and language, a post with its
cards and preview metadata, Atom feeds, and "news about this" on event and letter pages."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.events import actions as events
from haven.events.models import Event
from haven.letters.models import Letter
from haven.mail.compose import absolute_url
from haven.news import actions
from haven.news.models import Post
from haven.news.public_views import POSTS_PER_PAGE
from haven.organisations.models import Network, Organisation
from tests.conftest import make_user
from tests.events.world import published_event
from tests.news.conftest import public_letter
from tests.news.world import published_post

ATOM = "{http://www.w3.org/2005/Atom}"


def _page(path: str, **query: str) -> str:
    response = Client().get(path, query)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def _dated(post: Post, days_ago: int) -> Post:
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(days=days_ago))
    post.refresh_from_db()
    return post


def test_the_news_lists_newest_first_and_keep_drafts_embargoes_and_withdrawals_out(
    north: Organisation, south: Organisation, adam: User
) -> None:
    older = _dated(published_post(north, adam, "Older news"), 3)
    newer = _dated(published_post(north, adam, "Newer news"), 1)
    theirs = _dated(published_post(south, make_user("sol", south), "South news"), 2)
    actions.create_post(actor=adam, owner=north, language="en", title="A draft", body="B")
    embargoed = actions.create_post(
        actor=adam, owner=north, language="en", title="Embargoed", body="B"
    )
    actions.move_post(
        actor=adam, post=embargoed, move="publish", publish_at=timezone.now() + timedelta(days=1)
    )
    withdrawn = published_post(north, adam, "Withdrawn news")
    actions.move_post(actor=adam, post=withdrawn, move="withdraw", reason="Wrong.")

    every = _page(reverse("news_index"))
    assert every.index("Newer news") < every.index("South news") < every.index("Older news")
    for hidden in ("A draft", "Embargoed", "Withdrawn news"):
        assert hidden not in every
    own = _page(reverse("news_organisation", kwargs={"org": "north"}))
    assert "Newer news" in own
    assert "South news" not in own
    assert Client().get(reverse("news_organisation", kwargs={"org": "nobody"})).status_code == 404
    assert {older.slug, newer.slug, theirs.slug}


def test_the_list_is_paginated_and_filtered_by_language(north: Organisation, adam: User) -> None:
    for number in range(POSTS_PER_PAGE + 1):
        _dated(published_post(north, adam, f"Post number {number:02d}"), number + 1)
    spanish = actions.create_post(
        actor=adam, owner=north, language="es", title="Sólo en español", body="Texto."
    )
    actions.move_post(actor=adam, post=spanish, move="publish")

    first = _page(reverse("news_index"))
    assert "Sólo en español" in first
    assert "Post number 00" in first
    assert "Post number 20" not in first
    assert "Page 1 of 2" in first
    second = _page(reverse("news_index"), page="2")
    assert "Post number 20" in second

    # Only the posts written in French, shown in French.
    french = _page(reverse("news_index"), language="fr")
    assert "Post number 00 (fr)" in french
    assert "Sólo en español" not in french
    spanish_only = _page(reverse("news_index"), language="es")
    assert "Sólo en español" in spanish_only
    assert "Post number" not in spanish_only
    # A language nobody knows: a clear 400, and the page still answers.
    refused = Client().get(reverse("news_index"), {"language": "klingon"})
    assert refused.status_code == 400
    assert "unknown" in refused.content.decode()


def test_a_post_page_has_its_cards_languages_and_link_previews(
    north: Organisation, adam: User, event: Event, letter: Letter
) -> None:
    post = published_post(
        north,
        adam,
        "Survivors speak in Paris",
        summary="An evening debate and a letter.",
        body="Read <script>alert(1)</script> [this](javascript:alert(2)) and **that**.",
    )
    actions.set_links(actor=adam, post=post, links=[("event", event.pk), ("letter", letter.pk)])
    page = _page(reverse("news_post", kwargs={"org": "north", "post": post.slug}))
    # Markdown is sanitised by the letters' helper: no script, no javascript: link.
    assert "<strong>that</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript' not in page
    # Social previews and alternates.
    assert '<meta property="og:title" content="Survivors speak in Paris">' in page
    assert '<meta property="og:description" content="An evening debate and a letter.">' in page
    canonical = absolute_url(f"/news/north/{post.slug}/")
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert 'hreflang="fr"' in page
    assert 'type="application/atom+xml"' in page
    # Cards of the event and the letter, with their public addresses.
    assert reverse("event_public", kwargs={"org": "north", "event": event.slug}) in page
    assert reverse("letter_public", kwargs={"org": "north", "letter": letter.slug}) in page
    assert "Evening debate" in page
    french = _page(
        reverse("news_post_language", kwargs={"org": "north", "post": post.slug, "lang": "fr"})
    )
    assert "Survivors speak in Paris (fr)" in french
    assert 'lang="fr"' in french
    missing = reverse(
        "news_post_language", kwargs={"org": "north", "post": post.slug, "lang": "de"}
    )
    assert Client().get(missing).status_code == 404
    # No inline script on any public page (the CSP forbids them).
    assert "<script>" not in page


def test_the_event_and_letter_pages_show_news_about_them(
    north: Organisation, adam: User, event: Event, letter: Letter
) -> None:
    event_page = reverse("event_public", kwargs={"org": "north", "event": event.slug})
    letter_page = reverse("letter_public", kwargs={"org": "north", "letter": letter.slug})
    assert "News about this" not in _page(event_page)
    draft = actions.create_post(actor=adam, owner=north, language="en", title="Draft", body="B")
    actions.set_links(actor=adam, post=draft, links=[("event", event.pk), ("letter", letter.pk)])
    assert "News about this" not in _page(event_page)

    post = published_post(north, adam, "The debate is on")
    actions.set_links(actor=adam, post=post, links=[("event", event.pk), ("letter", letter.pk)])
    address = reverse("news_post", kwargs={"org": "north", "post": post.slug})
    for page in (_page(event_page), _page(letter_page)):
        assert "News about this" in page
        assert address in page
        assert "Draft" not in page
    # A French reader is sent to the French text.
    client = Client(headers={"accept-language": "fr"})
    french = client.get(event_page).content.decode()
    assert "The debate is on (fr)" in french


def test_atom_feeds_of_every_organisation_and_of_one(
    north: Organisation, south: Organisation, adam: User
) -> None:
    _dated(published_post(north, adam, "North news"), 2)
    _dated(published_post(south, make_user("sol", south), "South news"), 1)
    actions.create_post(actor=adam, owner=north, language="en", title="A draft", body="B")
    response = Client().get(reverse("news_feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert titles == ["South news", "North news"]
    summary = feed.find(f"{ATOM}entry/{ATOM}summary")
    assert summary is not None
    assert summary.text == "A summary."
    own = ET.fromstring(
        Client().get(reverse("news_organisation_feed", kwargs={"org": "north"})).content
    )
    assert [entry.findtext(f"{ATOM}title") for entry in own.iter(f"{ATOM}entry")] == ["North news"]
    french = ET.fromstring(Client().get(reverse("news_feed"), {"language": "fr"}).content)
    assert [entry.findtext(f"{ATOM}title") for entry in french.iter(f"{ATOM}entry")] == [
        "South news (fr)",
        "North news (fr)",
    ]
    assert Client().get(reverse("news_feed"), {"language": "zz9"}).status_code == 400


def test_a_cancelled_event_card_says_so(north: Organisation, adam: User, event: Event) -> None:
    post = published_post(north, adam, "Change of plans")
    actions.set_links(actor=adam, post=post, links=[("event", event.pk)])
    events.move_event(actor=adam, event=event, move="cancel", reason="Strike.")
    page = _page(reverse("news_post", kwargs={"org": "north", "post": post.slug}))
    assert "Cancelled" in page


def test_every_public_page_answers_head_as_it_answers_get(north: Organisation, adam: User) -> None:
    post = published_post(north, adam, "North news")
    client = Client()
    kwargs = {"org": "north", "post": post.slug}
    for url in [
        reverse("news_index"),
        reverse("news_feed"),
        reverse("news_organisation", kwargs={"org": "north"}),
        reverse("news_organisation_feed", kwargs={"org": "north"}),
        reverse("news_post", kwargs=kwargs),
        reverse("news_post_language", kwargs={**kwargs, "lang": "fr"}),
    ]:
        assert client.get(url).status_code == 200, url
        assert client.head(url).status_code == 200, url


def test_each_language_page_names_every_language_by_absolute_address(
    north: Organisation, adam: User
) -> None:
    post = published_post(north, adam, "North news")
    kwargs = {"org": "north", "post": post.slug}
    english = reverse("news_post", kwargs=kwargs)
    french = reverse("news_post_language", kwargs={**kwargs, "lang": "fr"})
    expected = [
        f'<link rel="alternate" hreflang="en" href="{absolute_url(english)}">',
        f'<link rel="alternate" hreflang="fr" href="{absolute_url(french)}">',
        f'<link rel="alternate" hreflang="x-default" href="{absolute_url(english)}">',
    ]
    for page in (english, french):
        found = re.findall(r'<link rel="alternate" hreflang=[^>]*>', _page(page))
        assert found == expected, page


def test_an_event_or_letter_page_shows_only_its_owner_s_posts_about_it(
    north: Organisation, adam: User, coalition: Network
) -> None:
    organiser = make_user("cody", coalition.organisation, "advocacy_officer")
    joint = published_event(coalition.organisation, organiser, title="Side event")
    statement = public_letter(coalition.organisation, organiser, title="Joint statement")
    # A member links its network's event and letter in a post of its own: allowed.
    theirs = published_post(north, adam, "North goes to the side event")
    actions.set_links(
        actor=adam, post=theirs, links=[("event", joint.pk), ("letter", statement.pk)]
    )
    event_page = reverse("event_public", kwargs={"org": "coalition", "event": joint.slug})
    letter_page = reverse("letter_public", kwargs={"org": "coalition", "letter": statement.slug})
    for page in (_page(event_page), _page(letter_page)):
        assert "News about this" not in page
        assert "North goes to the side event" not in page
    own = published_post(coalition.organisation, organiser, "Our side event")
    actions.set_links(actor=organiser, post=own, links=[("event", joint.pk)])
    page = _page(event_page)
    assert "Our side event" in page
    assert "North goes to the side event" not in page


def test_a_networks_event_made_invitation_only_leaves_a_members_post(
    north: Organisation, adam: User, coalition: Network
) -> None:
    organiser = make_user("cody", coalition.organisation, "advocacy_officer")
    joint = published_event(coalition.organisation, organiser, title="Closed-door briefing")
    post = published_post(north, adam, "North's week")
    actions.set_links(actor=adam, post=post, links=[("event", joint.pk)])
    path = reverse("news_post", kwargs={"org": north.slug, "post": post.slug})
    assert "Closed-door briefing" in _page(path)
    events.update_event(actor=organiser, event=joint, changes={"visibility": "invitation"})
    page = _page(path)
    assert "Closed-door briefing" not in page
    assert joint.slug not in page
    # The organiser's own post keeps linking its invitation-only event.
    own = published_post(coalition.organisation, organiser, "Our briefing")
    actions.set_links(actor=organiser, post=own, links=[("event", joint.pk)])
    own_path = reverse("news_post", kwargs={"org": "coalition", "post": own.slug})
    assert "Closed-door briefing" in _page(own_path)

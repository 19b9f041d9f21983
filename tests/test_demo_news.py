"""The demo's news: posts about the reference events and the demo letter."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.demo import FRONTLINE, GLOBAL, build_demo
from haven.demo_events import EVENING, SIDE_EVENT
from haven.demo_news import (
    COLLOQUIUM_POST,
    DRAFT_POST,
    EVENING_POST,
    RECORDING_POST,
    SIDE_EVENT_POST,
)
from haven.events.models import Event
from haven.news import access
from haven.news.models import Post, PostStatus

pytestmark = pytest.mark.django_db


def test_the_demo_has_posts_that_link_the_reference_events_and_the_letter() -> None:
    build_demo(1, casework=False)
    with scopes_disabled():
        posts = {access.text_in(post, post.language).title: post for post in Post.objects.all()}
        assert set(posts) == {
            SIDE_EVENT_POST,
            EVENING_POST,
            COLLOQUIUM_POST,
            RECORDING_POST,
            DRAFT_POST,
        }
        side = posts[SIDE_EVENT_POST]
        assert side.owner.slug == GLOBAL
        assert access.languages_of(side) == ["en", "es", "fr"]
        assert [link.kind for link in access.links_of(side)] == ["event", "letter"]
        evening = posts[EVENING_POST]
        assert evening.owner.slug == FRONTLINE
        # A member's post links its network's letter.
        assert [link.kind for link in access.links_of(evening)] == ["event", "letter", "petition"]
        assert not access.is_public(posts[RECORDING_POST])
        assert posts[DRAFT_POST].status == PostStatus.DRAFT
        public = list(access.public_posts())
        assert [access.text_in(post, "en").title for post in public] == [
            COLLOQUIUM_POST,
            EVENING_POST,
            SIDE_EVENT_POST,
        ]
        evening_event = Event.objects.get(title=EVENING)
        side_event = Event.objects.get(title=SIDE_EVENT)
    index = Client().get(reverse("news_index")).content.decode()
    assert EVENING_POST in index
    assert DRAFT_POST not in index
    page = (
        Client()
        .get(reverse("event_public", kwargs={"org": FRONTLINE, "event": evening_event.slug}))
        .content.decode()
    )
    assert "News about this" in page
    assert EVENING_POST in page
    side_page = (
        Client()
        .get(reverse("event_public", kwargs={"org": GLOBAL, "event": side_event.slug}))
        .content.decode()
    )
    assert SIDE_EVENT_POST in side_page

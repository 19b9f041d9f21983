"""An event's page marks only its own text with the language it is shown in, and tells
search engines the address of each of its languages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events import actions
from haven.events.models import Event
from haven.mail.compose import absolute_url
from haven.organisations.models import Organisation
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def translated(north: Organisation, adam: User) -> Event:
    event = published_event(north, adam, title="Evening debate", description="We *talk*.")
    actions.set_text(
        actor=adam, event=event, language="fr", title="Débat du soir", description="On *parle*."
    )
    return event


def test_a_translation_is_marked_in_its_language_and_the_labels_are_not(
    translated: Event,
) -> None:
    path = reverse("event_public", kwargs={"org": "north", "event": translated.slug})
    page = Client().get(path, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<h1 lang="fr">Débat du soir</h1>' in page
    assert '<div class="letter-body" lang="fr">' in page
    # The article itself, with the interface's labels, carries no content language.
    assert '<article class="letter">' in page
    assert 'lang="en"' not in page.split('<article class="letter">', 1)[1].split("</article>")[0]
    english = Client().get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h1 lang="en">Evening debate</h1>' in english


def test_each_language_has_its_address_and_the_page_lists_them(translated: Event) -> None:
    kwargs = {"org": "north", "event": translated.slug}
    plain = reverse("event_public", kwargs=kwargs)
    french = reverse("event_public_language", kwargs={**kwargs, "lang": "fr"})
    page = Client().get(plain, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page))
    assert links == {
        "en": absolute_url(plain),
        "fr": absolute_url(french),
        "x-default": absolute_url(plain),
    }
    shown = Client().get(french, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h1 lang="fr">Débat du soir</h1>' in shown
    assert f'<link rel="canonical" href="{absolute_url(french)}">' in shown
    missing = reverse("event_public_language", kwargs={**kwargs, "lang": "de"})
    assert Client().get(missing).status_code == 404


def test_an_untranslated_event_has_no_alternates(north: Organisation, adam: User) -> None:
    event = published_event(north, adam)
    page = Client().get(reverse("event_public", kwargs={"org": "north", "event": event.slug}))
    assert "hreflang" not in page.content.decode().split("</head>")[0]

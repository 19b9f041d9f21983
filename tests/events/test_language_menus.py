"""The language menus of the event and news forms (and the letters', which share them): the
usual languages first, the ISO 639-1 ones and those in use after them, any other typed as its
code or its full name; not 7,000 options a page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.events.models import Event, EventText
from haven.letters.models import Letter
from haven.news.models import Post
from haven.organisations.models import Organisation
from tests.conftest import client_for
from tests.events.test_staff import EVENT_FORM
from tests.events.world import published_event
from tests.news.test_staff import POST_FORM
from tests.news.world import published_post

pytestmark = pytest.mark.usefixtures("unscoped")

# The forms weighed 300 to 350 KB, nearly all of it the menu of every ISO 639 language.
LIGHT = 100_000
# The message of the helpline's box (LanguageCodeField), whose check the box beside the menu
# shares.
UNKNOWN = "is not an ISO 639 language code, nor a language&#x27;s name."


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "north", **kwargs})


def _options(page: str) -> list[str]:
    found = re.search(r'<select name="language"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None
    return re.findall(r'<option value="([^"]*)"', found.group(1))


@pytest.fixture
def staff(adam: User) -> Client:
    return client_for(adam)


def test_the_forms_are_light_and_offer_the_usual_languages_first(
    staff: Client, north: Organisation, adam: User
) -> None:
    event = published_event(north, adam)
    post = published_post(north, adam)
    for path in (
        url("event_create"),
        url("event_texts", event_id=event.pk),
        url("news_create"),
        url("news_detail", post_id=post.pk),
    ):
        response = staff.get(path)
        assert response.status_code == 200, path
        assert len(response.content) < LIGHT, (path, len(response.content))
        page = response.content.decode()
        options = _options(page)
        assert "Usual languages" in page
        assert "es" in options
        # Two-letter languages only, besides the usual ones: no "'Are'are" (alu).
        assert "alu" not in options
        assert 'name="other_language"' in page
    assert _options(staff.get(url("event_create")).content.decode())[:3] == ["en", "fr", "es"]
    # The original is changed on the event itself: not on the translations' menu; a post's
    # menu offers the languages it lacks.
    assert "fr" not in _options(staff.get(url("news_detail", post_id=post.pk)).content.decode())
    assert "en" not in _options(staff.get(url("event_texts", event_id=event.pk)).content.decode())


def test_a_language_in_use_is_on_the_menu(staff: Client, north: Organisation, adam: User) -> None:
    event = published_event(north, adam)
    EventText.objects.create(event=event, language="pcm", title="Pidgin title")
    assert "pcm" in _options(staff.get(url("event_create")).content.decode())


def test_a_language_not_on_the_menu_is_typed_as_its_code(
    staff: Client, north: Organisation
) -> None:
    created = staff.post(url("event_create"), {**EVENT_FORM, "other_language": "PCM"})
    assert created.status_code == 302, created.content.decode()[:2000]
    assert Event.objects.get(owner=north).language == "pcm"
    post = staff.post(url("news_create"), {**POST_FORM, "other_language": "rom"})
    assert post.status_code == 302
    assert Post.objects.get(owner=north).language == "rom"


def test_an_unknown_code_is_refused_and_saves_nothing(staff: Client, north: Organisation) -> None:
    refused = staff.post(url("event_create"), {**EVENT_FORM, "other_language": "zzz"})
    assert refused.status_code == 400
    assert UNKNOWN in refused.content.decode()
    assert not Event.objects.exists()
    unknown = staff.post(url("news_create"), {**POST_FORM, "language": "xx"})
    assert unknown.status_code == 400
    assert not Post.objects.exists()


def test_a_translation_in_a_typed_language(staff: Client, north: Organisation, adam: User) -> None:
    event = published_event(north, adam)
    form = {"language": "fr", "other_language": "bin", "title": "Edo title"}
    assert staff.post(url("event_texts", event_id=event.pk), form).status_code == 302
    assert EventText.objects.get(event=event).language == "bin"


def test_a_language_not_on_the_menu_is_typed_as_its_full_name_in_any_case(
    staff: Client, north: Organisation, adam: User
) -> None:
    # It took a code alone: "Nigerian Pidgin" was refused.
    created = staff.post(url("event_create"), {**EVENT_FORM, "other_language": "nigerian PIDGIN"})
    assert created.status_code == 302, created.content.decode()[:2000]
    assert Event.objects.get(owner=north).language == "pcm"
    post = staff.post(url("news_create"), {**POST_FORM, "other_language": "  Romany "})
    assert post.status_code == 302
    assert Post.objects.get(owner=north).language == "rom"
    event = published_event(north, adam)
    form = {"language": "fr", "other_language": "Krio", "title": "Krio title"}
    assert staff.post(url("event_texts", event_id=event.pk), form).status_code == 302
    assert EventText.objects.get(event=event).language == "kri"
    page = staff.get(url("event_create")).content.decode()
    assert 'maxlength="80"' in page
    assert "its full name or its ISO 639 code" in page


def test_an_unknown_name_is_refused_with_the_message_and_saves_nothing(
    staff: Client, north: Organisation
) -> None:
    refused = staff.post(url("event_create"), {**EVENT_FORM, "other_language": "Klingonese"})
    assert refused.status_code == 400
    assert f"“Klingonese” {UNKNOWN}" in refused.content.decode()
    post = staff.post(url("news_create"), {**POST_FORM, "other_language": "Klingonese"})
    assert post.status_code == 400
    assert f"“Klingonese” {UNKNOWN}" in post.content.decode()
    assert not Event.objects.exists()
    assert not Post.objects.exists()


def test_a_form_shown_again_keeps_the_language_typed_or_chosen(
    staff: Client, north: Organisation
) -> None:
    typed = staff.post(
        url("event_create"), {**EVENT_FORM, "title": "", "other_language": "Nigerian Pidgin"}
    )
    assert typed.status_code == 400
    assert 'name="other_language" value="Nigerian Pidgin"' in typed.content.decode()
    # A language the menu leaves out, posted from an older page: the page shown again
    # opened on English, and the next save was in English.
    posted = staff.post(url("news_create"), {**POST_FORM, "title": "", "language": "pcm"})
    assert posted.status_code == 400
    assert '<option value="pcm" selected>' in posted.content.decode()
    assert "pcm" not in _options(staff.get(url("news_create")).content.decode())


def test_a_letter_and_its_translation_take_a_language_by_its_name(
    staff: Client, north: Organisation
) -> None:
    form = {
        "kind": "statement",
        "language": "en",
        "other_language": "Nigerian Pidgin",
        "title": "Joint statement",
        "body": "Text.",
        "signatory_order": "alphabetical",
    }
    assert staff.post(url("letter_create"), form).status_code == 302
    letter = Letter.objects.get(owner=north)
    assert letter.original_language == "pcm"
    add = url("letter_add_language", letter_id=letter.pk)
    added = staff.post(add, {"language": "en", "other_language": "krio"})
    assert added["Location"].endswith("/texts/kri/")
    assert staff.post(add, {"language": "en", "other_language": "Klingonese"}).status_code == 400

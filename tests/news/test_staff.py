"""Advocacy staff write a post, translate it, link events and letters, publish, withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.accounts.models import User
from haven.events import actions as events
from haven.events.models import Event
from haven.letters import actions as letters
from haven.letters.models import Letter
from haven.news import access, actions
from haven.news.models import Post, PostLink, PostStatus, PostText
from haven.organisations.models import Network, Organisation
from haven.petitions import actions as petitions
from haven.privacy.models import AuditEvent
from tests.conftest import client_for, make_user
from tests.events.world import published_event
from tests.news.conftest import public_letter

HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
POST_FORM = {
    "language": "en",
    "title": "Survivors speak in Paris",
    "summary": "An evening debate, and the letter we published with 85 organisations.",
    "body": "Join us on **Friday**.\n\n- the debate\n- the letter",
    "hashtags": "#MeToo, Exit",
}


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": "north", **kwargs})


def public(post: Post, lang: str = "") -> str:
    kwargs = {"org": post.owner.slug, "post": post.slug}
    if lang:
        return reverse("news_post_language", kwargs={**kwargs, "lang": lang})
    return reverse("news_post", kwargs=kwargs)


def test_a_post_is_written_translated_linked_published_and_withdrawn_through_the_pages(
    staff: Client, north: Organisation, event: Event, letter: Letter
) -> None:
    response = staff.post(url("news_create"), POST_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(owner=north)
    assert (post.status, post.language, post.hashtags) == ("draft", "en", "#MeToo #Exit")
    assert post.slug == "survivors-speak-in-paris"
    detail = url("news_detail", post_id=post.pk)
    assert response["Location"] == detail
    assert Client().get(public(post)).status_code == 404

    # A French text, written in full.
    assert staff.post(url("news_add_language", post_id=post.pk), {"language": "fr"})[
        "Location"
    ] == url("news_text", post_id=post.pk, lang="fr")
    french = {"title": "Les survivantes parlent", "summary": "", "body": "Rejoignez-nous."}
    assert staff.post(url("news_text", post_id=post.pk, lang="fr"), french).status_code == 302
    assert set(post.texts.values_list("language", flat=True)) == {"en", "fr"}

    # Links: the event and the letter, then the letter first.
    links = url("news_links", post_id=post.pk)
    assert staff.post(links, {"link": f"event:{event.pk}"}).status_code == 302
    assert staff.post(links, {"link": f"letter:{letter.pk}"}).status_code == 302
    letter_link = PostLink.objects.get(post=post, letter=letter)
    moved = staff.post(links, {"move": letter_link.pk, "direction": "up"}, **HTMX)
    assert moved.status_code == 200
    assert moved.content.decode().lstrip().startswith('<ol id="link-list"')
    assert [link.kind for link in access.links_of(post)] == ["letter", "event"]
    page = staff.get(detail).content.decode()
    assert "Evening debate" in page
    assert "Open letter" in page

    # Published under embargo: still 404 until the date.
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    move = url("news_move", post_id=post.pk)
    assert staff.post(move, {"move": "publish", "publish_at": tomorrow}).status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert Client().get(public(post)).status_code == 404
    assert "under embargo" in staff.get(detail).content.decode()
    # The date moves while it is not public; then it is.
    earlier = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert (
        staff.post(
            url("news_edit", post_id=post.pk), {"hashtags": "#MeToo", "publish_at": earlier}
        ).status_code
        == 302
    )
    answer = Client().get(public(post))
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "<strong>Friday</strong>" in body
    assert body.index("Open letter") < body.index("Evening debate")
    assert Client().get(public(post, "fr")).status_code == 200
    assert "Les survivantes parlent" in Client().get(public(post, "fr")).content.decode()

    # Withdrawn: gone from the lists, its address says so without the text.
    reasons = {"move": "withdraw", "reason": "Wrong date of the debate."}
    assert staff.post(move, reasons).status_code == 302
    gone = Client().get(public(post))
    assert gone.status_code == 410
    assert "Friday" not in gone.content.decode()
    assert "withdrew this post" in gone.content.decode()
    assert "Survivors speak" not in Client().get(reverse("news_index")).content.decode()
    # Back to draft, corrected, published again.
    assert staff.post(move, {"move": "redraft"}).status_code == 302
    assert Client().get(public(post)).status_code == 404
    assert staff.post(move, {"move": "publish"}).status_code == 302
    assert Client().get(public(post)).status_code == 200

    actions_done = list(
        AuditEvent.objects.filter(object_type="news.post", object_id=str(post.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions_done == [
        "news.created",
        "news.text_added",
        "news.link_added",
        "news.link_added",
        "news.links_reordered",
        "news.publish",
        "news.updated",
        "news.withdraw",
        "news.redraft",
        "news.publish",
    ]


def test_every_page_renders_for_an_advocacy_officer(
    staff: Client, north: Organisation, adam: User, event: Event
) -> None:
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    actions.add_link(actor=adam, post=post, kind="event", item_id=event.pk)
    for page in (
        url("news_list"),
        url("news_create"),
        url("news_detail", post_id=post.pk),
        url("news_edit", post_id=post.pk),
        url("news_preview", post_id=post.pk),
        url("news_text", post_id=post.pk, lang="en"),
        url("news_text", post_id=post.pk, lang="es"),
    ):
        response = staff.get(page)
        assert response.status_code == 200, page
        assert "<script>" not in response.content.decode()


def test_the_preview_names_links_the_public_does_not_see_yet(
    staff: Client, north: Organisation, adam: User
) -> None:
    draft_event = events.create_event(
        actor=adam,
        owner=north,
        title="Colloquium in preparation",
        language="en",
        starts_at=timezone.now() + timedelta(days=30),
        ends_at=timezone.now() + timedelta(days=30, hours=4),
    )
    post = actions.create_post(actor=adam, owner=north, language="en", title="Soon", body="B")
    actions.add_link(actor=adam, post=post, kind="event", item_id=draft_event.pk)
    preview = staff.get(url("news_preview", post_id=post.pk)).content.decode()
    assert "Linked, but not public yet" in preview
    assert "Colloquium in preparation" in preview
    assert "noindex" in preview
    actions.move_post(actor=adam, post=post, move="publish")
    page = Client().get(public(post)).content.decode()
    assert "Colloquium in preparation" not in page
    events.move_event(actor=adam, event=draft_event, move="publish")
    assert "Colloquium in preparation" in Client().get(public(post)).content.decode()


def test_bad_input_is_refused_with_a_clear_400_and_changes_nothing(
    staff: Client, north: Organisation, south: Organisation, adam: User, event: Event
) -> None:
    for bad in (
        {**POST_FORM, "title": ""},
        {**POST_FORM, "body": ""},
        {**POST_FORM, "language": "xx"},
        {**POST_FORM, "summary": "x" * 501},
    ):
        assert staff.post(url("news_create"), bad).status_code == 400
    assert not Post.objects.exists()

    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    links = url("news_links", post_id=post.pk)
    other = published_event(south, make_user("sol", south, "advocacy_officer"), title="Theirs")
    for data in (
        {"link": f"event:{other.pk}"},
        {"link": "event:abc"},
        {"link": "meeting:1"},
        {"move": "x", "direction": "up"},
        {"remove": "999999"},
    ):
        assert staff.post(links, data).status_code == 400, data
    actions.add_link(actor=adam, post=post, kind="event", item_id=event.pk)
    assert staff.post(links, {"link": f"event:{event.pk}"}).status_code == 400
    assert PostLink.objects.filter(post=post).count() == 1

    move = url("news_move", post_id=post.pk)
    assert staff.post(move, {"move": "explode"}).status_code == 400
    assert staff.post(move, {"move": "withdraw", "reason": "x"}).status_code == 400
    assert staff.post(move, {"move": "publish", "publish_at": "2024-13-45"}).status_code == 400
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    actions.move_post(actor=adam, post=post, move="publish")
    assert staff.post(move, {"move": "withdraw"}).status_code == 400  # no reason
    assert staff.post(move, {"move": "delete"}).status_code == 400  # published: withdraw
    assert (
        staff.post(url("news_text", post_id=post.pk, lang="en"), {"remove": "1"}).status_code == 400
    )
    assert staff.get(url("news_text", post_id=post.pk, lang="xx")).status_code == 404
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert PostText.objects.filter(post=post).count() == 1


def test_a_draft_never_published_can_be_deleted(
    staff: Client, north: Organisation, adam: User
) -> None:
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    answer = staff.post(url("news_move", post_id=post.pk), {"move": "delete"})
    assert answer["Location"] == url("news_list")
    assert not Post.objects.exists()
    assert AuditEvent.objects.filter(action="news.deleted", object_id=str(post.pk)).exists()


def test_a_member_links_its_networks_public_letter_but_not_its_draft(
    staff: Client, north: Organisation, adam: User, coalition: Network
) -> None:
    coordinator = make_user("cody", coalition.organisation, "advocacy_officer")
    joint = public_letter(coalition.organisation, coordinator, title="Joint statement")
    draft = letters.create_letter(
        actor=coordinator,
        owner=coalition.organisation,
        title="Secret draft",
        body="Not yet.",
        language="en",
    )
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    page = staff.get(url("news_detail", post_id=post.pk)).content.decode()
    assert "Joint statement (Coalition)" in page
    assert "Secret draft" not in page
    links = url("news_links", post_id=post.pk)
    assert staff.post(links, {"link": f"letter:{joint.pk}"}).status_code == 302
    assert staff.post(links, {"link": f"letter:{draft.pk}"}).status_code == 400
    assert list(PostLink.objects.filter(post=post).values_list("letter", flat=True)) == [joint.pk]


def test_a_petition_is_linked_and_shown_as_a_card_while_open(
    north: Organisation, adam: User
) -> None:
    petition = petitions.create_petition(
        actor=adam, owner=north, title="Two more shelters", body="Fund them.", language="en"
    )
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    actions.add_link(actor=adam, post=post, kind="petition", item_id=petition.pk)
    actions.move_post(actor=adam, post=post, move="publish")
    assert "Two more shelters" not in Client().get(public(post)).content.decode()
    petitions.move_petition(actor=adam, petition=petition, move="open")
    page = Client().get(public(post)).content.decode()
    assert "Two more shelters" in page
    assert reverse("petition_public", kwargs={"org": "north", "petition": petition.slug}) in page
    assert "Open for signatures" in page


def test_a_petition_past_its_closing_time_is_shown_closed(north: Organisation, adam: User) -> None:
    petition = petitions.create_petition(
        actor=adam, owner=north, title="Two more shelters", body="Fund them.", language="en"
    )
    petitions.move_petition(actor=adam, petition=petition, move="open")
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    actions.add_link(actor=adam, post=post, kind="petition", item_id=petition.pk)
    actions.move_post(actor=adam, post=post, move="publish")
    petitions.update_petition(
        actor=adam, petition=petition, changes={"closes_at": timezone.now() - timedelta(hours=1)}
    )
    page = Client().get(public(post)).content.decode()
    assert "Two more shelters" in page
    assert "Open for signatures" not in page
    assert "Closed" in page


@pytest.mark.parametrize("role", ["caseworker", "door_staff", "viewer"])
def test_other_roles_of_the_organisation_are_refused(role: str, north: Organisation) -> None:
    client = client_for(make_user(f"someone-{role}", north, role))
    assert client.get(url("news_list")).status_code == 403

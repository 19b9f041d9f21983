"""News through the API: the owner writes, links, publishes and withdraws; the public reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.casework.models import OrganisationSettings
from haven.events.models import Event
from haven.letters.models import Letter
from haven.news import actions
from haven.news.models import Post, PostLink
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.timezones import forget_zone_of
from tests.conftest import bearer, make_user
from tests.events.world import published_event
from tests.news.world import published_post


def _send(method: str, path: str, body: Any = None, user: User | None = None) -> Any:
    headers: dict[str, Any] = dict(bearer(user)) if user is not None else {}
    if body is None:
        return getattr(Client(), method)(path, **headers)
    return getattr(Client(), method)(
        path, json.dumps(body), content_type="application/json", **headers
    )


def test_the_owner_writes_links_publishes_and_withdraws_a_post_and_the_public_reads_it(
    adam: User, north: Organisation, event: Event, letter: Letter
) -> None:
    created = _send(
        "post",
        "/api/orgs/north/news",
        {"language": "en", "title": "The debate is on", "body": "Come **Friday**."},
        adam,
    )
    assert created.status_code == 201, created.content
    post_id = created.json()["id"]
    base = f"/api/orgs/north/news/{post_id}"
    assert created.json()["status"] == "draft"
    assert _send("get", "/api/news/north/the-debate-is-on").status_code == 404

    texts = _send(
        "put", f"{base}/texts", {"language": "fr", "title": "Le débat", "body": "Venez."}, adam
    )
    assert [text["language"] for text in texts.json()["texts"]] == ["en", "fr"]
    links = _send(
        "put",
        f"{base}/links",
        {"links": [{"kind": "letter", "id": letter.pk}, {"kind": "event", "id": event.pk}]},
        adam,
    )
    assert links.status_code == 200, links.content
    assert [(link["kind"], link["public"]) for link in links.json()["links"]] == [
        ("letter", True),
        ("event", True),
    ]
    # The same list in another order, one dropped: what the owner sends is what stays.
    again = _send("put", f"{base}/links", {"links": [{"kind": "event", "id": event.pk}]}, adam)
    assert [link["kind"] for link in again.json()["links"]] == ["event"]
    assert PostLink.objects.filter(post_id=post_id).count() == 1

    later = (timezone.now() + timedelta(hours=2)).isoformat()
    published = _send("post", f"{base}/moves", {"move": "publish", "publish_at": later}, adam)
    assert published.status_code == 200, published.content
    assert (published.json()["status"], published.json()["public"]) == ("published", False)
    assert _send("get", "/api/news/north/the-debate-is-on").status_code == 404
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    patched = _send("patch", base, {"publish_at": earlier, "hashtags": "#Debate"}, adam)
    assert patched.json()["public"] is True

    listing = _send("get", "/api/news?language=fr")
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    item = listing.json()["items"][0]
    assert (item["title"], item["language"], item["languages"]) == ("Le débat", "fr", ["en", "fr"])
    detail = _send("get", "/api/news/north/the-debate-is-on")
    assert detail.status_code == 200
    assert detail.json()["hashtags"] == ["Debate"]
    assert [card["title"] for card in detail.json()["links"]] == ["Evening debate"]
    assert detail.json()["links"][0]["url"].endswith(f"/events/north/{event.slug}/")

    refused = _send("post", f"{base}/moves", {"move": "withdraw"}, adam)
    assert refused.status_code == 400
    withdrawn = _send("post", f"{base}/moves", {"move": "withdraw", "reason": "Postponed."}, adam)
    assert withdrawn.json()["status"] == "withdrawn"
    assert _send("get", "/api/news/north/the-debate-is-on").status_code == 410
    assert _send("get", "/api/news").json()["count"] == 0
    assert _send("delete", base, user=adam).status_code == 400
    assert AuditEvent.objects.filter(action="news.links_set").count() == 2


def test_the_public_list_is_paginated(north: Organisation, adam: User) -> None:
    for number in range(5):
        published_post(north, adam, f"Post {number}")
    first = _send("get", "/api/news?limit=2").json()
    second = _send("get", "/api/news?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 5
    assert len(first["items"]) == len(second["items"]) == 2
    assert not {item["slug"] for item in first["items"]} & {
        item["slug"] for item in second["items"]
    }
    assert _send("get", "/api/news?org=north&limit=1").json()["count"] == 5
    assert _send("get", "/api/news?org=nobody").status_code == 404
    owner = _send("get", "/api/orgs/north/news?status=published&limit=3", user=adam).json()
    assert (owner["count"], len(owner["items"])) == (5, 3)


def test_links_the_owner_may_not_make_are_refused_and_change_nothing(
    adam: User, north: Organisation, south: Organisation, event: Event
) -> None:
    post = published_post(north, adam)
    base = f"/api/orgs/north/news/{post.pk}"
    theirs = published_event(south, make_user("sol", south), title="Theirs")
    for links in (
        [{"kind": "event", "id": theirs.pk}],
        [{"kind": "event", "id": event.pk}, {"kind": "event", "id": event.pk}],
        [{"kind": "letter", "id": 10**12}],
        [{"kind": "meeting", "id": event.pk}],
    ):
        answer = _send("put", f"{base}/links", {"links": links}, adam)
        assert answer.status_code == 400, links
    assert not PostLink.objects.filter(post=post).exists()


def test_a_draft_is_deleted_and_another_organisation_reaches_nothing(
    adam: User, north: Organisation, bob: User
) -> None:
    created = _send(
        "post", "/api/orgs/north/news", {"language": "en", "title": "T", "body": "B"}, adam
    )
    base = f"/api/orgs/north/news/{created.json()['id']}"
    assert _send("get", base, user=bob).status_code == 404
    assert _send("get", base.replace("/north/", "/south/"), user=bob).status_code == 404
    assert _send("delete", base, user=adam).status_code == 204
    assert not Post.objects.exists()


def _in_kolkata(organisation: Organisation) -> None:
    """The organisation works in Kolkata (UTC+5:30 all year)."""
    OrganisationSettings.objects.create(organisation=organisation, time_zone="Asia/Kolkata")
    forget_zone_of(organisation.slug)


def test_a_publication_date_without_offset_is_read_in_the_organisations_time_zone(
    adam: User, north: Organisation
) -> None:
    _in_kolkata(north)
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    base = f"/api/orgs/north/news/{post.pk}"
    patched = _send("patch", base, {"publish_at": "2030-01-01T09:00:00"}, adam)
    assert patched.status_code == 200, patched.content
    post.refresh_from_db()
    assert post.publish_at == datetime(2030, 1, 1, 3, 30, tzinfo=UTC)
    moved = _send(
        "post", f"{base}/moves", {"move": "publish", "publish_at": "2030-02-01T12:00"}, adam
    )
    assert moved.status_code == 200, moved.content
    post.refresh_from_db()
    assert post.publish_at == datetime(2030, 2, 1, 6, 30, tzinfo=UTC)
    # With its offset, a time means what it says, whatever the organisation's zone.
    _send("post", f"{base}/moves", {"move": "redraft"}, adam)
    offset = _send("patch", base, {"publish_at": "2030-03-01T09:00:00+01:00"}, adam)
    assert offset.status_code == 200, offset.content
    post.refresh_from_db()
    assert post.publish_at == datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1999-12-31"])
def test_a_publication_date_at_the_calendars_edge_is_refused_and_changes_nothing(
    adam: User, north: Organisation, moment: str
) -> None:
    _in_kolkata(north)
    post = actions.create_post(actor=adam, owner=north, language="en", title="T", body="B")
    base = f"/api/orgs/north/news/{post.pk}"
    for method, path, body in (
        ("patch", base, {"publish_at": moment}),
        ("post", f"{base}/moves", {"move": "publish", "publish_at": moment}),
    ):
        response = _send(method, path, body, adam)
        assert response.status_code == 400, response.content
        assert "Give a date" in response.content.decode()
    post.refresh_from_db()
    assert (post.status, post.publish_at) == ("draft", None)

"""API of news posts: the owner's writing, linking and publishing, and the public's reading.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators. URL parameters are only ``org``, ``post_id`` and ``post``
(the authorisation matrix knows those); languages and links go in the request body.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictInt

from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_public_operation,
)
from haven.api.schemas import Moment
from haven.letters.content import hashtag_list
from haven.mail.compose import absolute_url
from haven.news import access, actions
from haven.news.models import Post, PostStatus, PostText
from haven.news.public_views import post_url, summary_of
from haven.organisations.api import Body, Message

router = Router(tags=["news"])

LANGUAGE = Field(..., min_length=2, max_length=8, pattern=r"^[a-z]{2,3}$", examples=["en"])
KIND = Literal["event", "letter", "petition"]


# --- schemas --------------------------------------------------------------------------------


class PostTextOut(Schema):
    language: str
    title: str
    summary: str
    body: str


class LinkOut(Schema):
    id: int
    kind: str
    item_id: int
    title: str
    owner: str
    public: bool
    url: str


class PostOut(Schema):
    id: int
    slug: str
    status: str
    language: str
    publish_at: datetime | None
    published_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str
    hashtags: str
    public: bool
    url: str
    texts: list[PostTextOut]
    links: list[LinkOut]


class PostPage(Schema):
    count: int
    items: list[PostOut]


class PostIn(Body):
    language: str = LANGUAGE
    title: str = Field(..., min_length=1, max_length=300)
    summary: str = Field("", max_length=500)
    body: str = Field(..., min_length=1, max_length=50_000, description="Markdown.")
    hashtags: str = Field("", max_length=200)


class PostChanges(Body):
    hashtags: str | None = Field(None, max_length=200)
    publish_at: Moment | None = Field(
        None, description="The publication date, while the post is not yet public."
    )


class PostTextIn(Body):
    language: str = LANGUAGE
    title: str = Field(..., min_length=1, max_length=300)
    summary: str = Field("", max_length=500)
    body: str = Field(..., min_length=1, max_length=50_000, description="Markdown.")


class TextRemoveIn(Body):
    language: str = LANGUAGE


class LinkIn(Body):
    kind: KIND
    id: StrictInt = Field(..., ge=1, le=2**63 - 1)


class LinksIn(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"links": [{"kind": "event", "id": 12}]}]}
    )

    links: list[LinkIn] = Field(
        ..., max_length=actions.MOST_LINKS, description="Every link of the post, in order."
    )


class MoveIn(Body):
    move: Literal["publish", "withdraw", "redraft"]
    publish_at: Moment | None = Field(
        None, description="Publishing: from when (an embargo until then); empty: now."
    )
    reason: str = Field("", max_length=500, description="Withdrawing: why.")


class OwnerQuery(Schema):
    status: Literal["draft", "published", "withdrawn"] | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class CardOut(Schema):
    kind: str
    kind_label: str
    title: str
    owner: str
    url: str
    details: list[str]
    note: str


class PublicPostSummary(Schema):
    owner: str
    owner_slug: str
    slug: str
    language: str
    languages: list[str]
    title: str
    summary: str
    publish_at: datetime
    url: str


class PublicPostPage(Schema):
    count: int
    items: list[PublicPostSummary]


class PublicPost(PublicPostSummary):
    hashtags: list[str]
    texts: list[PostTextOut]
    links: list[CardOut]


class PublicQuery(Schema):
    org: str | None = Field(None, max_length=60, pattern=r"^[-a-zA-Z0-9_]*$")
    language: str | None = Field(None, max_length=8, pattern=r"^([a-z]{2,3})?$")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)


# --- helpers --------------------------------------------------------------------------------


def _text_out(text: PostText) -> PostTextOut:
    return PostTextOut(
        language=text.language, title=text.title, summary=text.summary, body=text.body
    )


def _post_out(post: Post, language: str) -> PostOut:
    public = access.is_public(post)
    links = []
    for link in access.links_of(post):
        card = access.card_of(link, language)
        links.append(
            LinkOut(
                id=link.pk,
                kind=link.kind,
                item_id=link.item_id,
                title=card.title,
                owner=card.owner,
                public=card.public,
                url=absolute_url(card.url) if card.public else "",
            )
        )
    return PostOut(
        id=post.pk,
        slug=post.slug,
        status=post.status,
        language=post.language,
        publish_at=post.publish_at,
        published_at=post.published_at,
        withdrawn_at=post.withdrawn_at,
        withdrawal_reason=post.withdrawal_reason,
        hashtags=post.hashtags,
        public=public,
        url=post_url(post) if public else "",
        texts=[_text_out(text) for text in sorted(post.texts.all(), key=lambda t: t.language)],
        links=links,
    )


def _post(request: OrganisationRequest, post_id: int) -> Post:
    return access.post_for(request.organisation, post_id)


# --- the owner's posts ----------------------------------------------------------------------


@router.get("/orgs/{org}/news", response=PostPage, summary="The organisation's news posts")
@api_organisation_operation("advocacy.manage")
def list_posts(request: OrganisationRequest, org: str, filters: Query[OwnerQuery]) -> PostPage:
    posts = access.posts_of(request.organisation)
    if filters.status:
        posts = posts.filter(status=filters.status)
    page = list(posts[filters.offset : filters.offset + filters.limit])
    return PostPage(
        count=posts.count(),
        items=[_post_out(post, request.LANGUAGE_CODE) for post in page],
    )


@router.post(
    "/orgs/{org}/news", response={201: PostOut, 400: Message}, summary="Write a draft post"
)
@api_organisation_operation("advocacy.manage")
def create_post(request: OrganisationRequest, org: str, payload: PostIn) -> Status[PostOut]:
    post = actions.create_post(
        actor=request.user, owner=request.organisation, request=request, **payload.model_dump()
    )
    return Status(201, _post_out(post, request.LANGUAGE_CODE))


@router.get("/orgs/{org}/news/{post_id}", response=PostOut, summary="One post")
@api_organisation_operation("advocacy.manage")
def get_post(request: OrganisationRequest, org: str, post_id: int) -> PostOut:
    return _post_out(_post(request, post_id), request.LANGUAGE_CODE)


@router.patch(
    "/orgs/{org}/news/{post_id}",
    response={200: PostOut, 400: Message},
    summary="Change the hashtags, or the publication date while the post is not yet public",
)
@api_organisation_operation("advocacy.manage")
def update_post(
    request: OrganisationRequest, org: str, post_id: int, payload: PostChanges
) -> PostOut:
    post = actions.update_post(
        actor=request.user,
        post=_post(request, post_id),
        changes=payload.model_dump(exclude_unset=True),
        request=request,
    )
    return _post_out(post, request.LANGUAGE_CODE)


@router.delete(
    "/orgs/{org}/news/{post_id}",
    response={204: None, 400: Message},
    summary="Delete a draft never published (withdraw a published post instead)",
)
@api_organisation_operation("advocacy.manage")
def delete_post(request: OrganisationRequest, org: str, post_id: int) -> Status[None]:
    actions.delete_post(actor=request.user, post=_post(request, post_id), request=request)
    return Status(204, None)


@router.put(
    "/orgs/{org}/news/{post_id}/texts",
    response={200: PostOut, 400: Message},
    summary="Write the post in a language, or change its text there (each a full text)",
)
@api_organisation_operation("advocacy.manage")
def save_text(request: OrganisationRequest, org: str, post_id: int, payload: PostTextIn) -> PostOut:
    post = _post(request, post_id)
    actions.save_text(actor=request.user, post=post, request=request, **payload.model_dump())
    return _post_out(post, request.LANGUAGE_CODE)


@router.post(
    "/orgs/{org}/news/{post_id}/texts/removals",
    response={200: PostOut, 400: Message},
    summary="Take a translation off the post (the original stays)",
)
@api_organisation_operation("advocacy.manage")
def remove_text(
    request: OrganisationRequest, org: str, post_id: int, payload: TextRemoveIn
) -> PostOut:
    post = _post(request, post_id)
    actions.remove_text(actor=request.user, post=post, language=payload.language, request=request)
    return _post_out(post, request.LANGUAGE_CODE)


@router.put(
    "/orgs/{org}/news/{post_id}/links",
    response={200: PostOut, 400: Message},
    summary="Link exactly these events, letters and petitions, in this order",
)
@api_organisation_operation("advocacy.manage")
def set_links(request: OrganisationRequest, org: str, post_id: int, payload: LinksIn) -> PostOut:
    post = _post(request, post_id)
    actions.set_links(
        actor=request.user,
        post=post,
        links=[(link.kind, link.id) for link in payload.links],
        request=request,
    )
    return _post_out(post, request.LANGUAGE_CODE)


@router.post(
    "/orgs/{org}/news/{post_id}/moves",
    response={200: PostOut, 400: Message},
    summary="Publish (from publish_at: an embargo until then), withdraw, or back to draft",
)
@api_organisation_operation("advocacy.manage")
def move_post(request: OrganisationRequest, org: str, post_id: int, payload: MoveIn) -> PostOut:
    post = actions.move_post(
        actor=request.user,
        post=_post(request, post_id),
        move=payload.move,
        publish_at=payload.publish_at,
        reason=payload.reason,
        request=request,
    )
    return _post_out(post, request.LANGUAGE_CODE)


# --- public operations ----------------------------------------------------------------------


def _summary(post: Post, language: str) -> PublicPostSummary:
    text = access.text_in(post, language)
    assert post.publish_at is not None
    return PublicPostSummary(
        owner=post.owner.name,
        owner_slug=post.owner.slug,
        slug=post.slug,
        language=text.language,
        languages=access.languages_of(post),
        title=text.title,
        summary=summary_of(text),
        publish_at=post.publish_at,
        url=post_url(post, text.language),
    )


@router.get(
    "/news",
    response=PublicPostPage,
    auth=None,
    summary="Public news posts, newest first: of every organisation or one, in one language",
)
@api_public_operation
def public_posts(request: HttpRequest, filters: Query[PublicQuery]) -> PublicPostPage:
    owner = access.public_organisation(filters.org) if filters.org else None
    posts = access.public_posts(owner=owner, language=filters.language or "")
    reading = filters.language or request.LANGUAGE_CODE
    page = list(posts[filters.offset : filters.offset + filters.limit])
    return PublicPostPage(count=posts.count(), items=[_summary(post, reading) for post in page])


@router.get(
    "/news/{org}/{post}",
    response={200: PublicPost, 410: Message},
    auth=None,
    summary="A public post in all its languages, with the cards of what it links",
)
@api_public_operation
def public_post(request: HttpRequest, org: str, post: str) -> Status[Message] | PublicPost:
    found = access.public_post(org, post)
    if found.status == PostStatus.WITHDRAWN:
        return Status(410, Message(detail=_("This post was withdrawn by its authors.")))
    language = request.LANGUAGE_CODE
    summary = _summary(found, language)
    return PublicPost(
        **summary.model_dump(),
        hashtags=hashtag_list(found.hashtags),
        texts=[_text_out(text) for text in sorted(found.texts.all(), key=lambda t: t.language)],
        links=[
            CardOut(
                kind=card.kind,
                kind_label=card.kind_label,
                title=card.title,
                owner=card.owner,
                url=absolute_url(card.url),
                details=card.details,
                note=card.note,
            )
            for card in access.public_cards(found, summary.language)
        ],
    )

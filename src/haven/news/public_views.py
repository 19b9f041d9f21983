"""The public pages of news: the lists (all organisations, or one), a post in each of its
languages with the cards of what it links, and Atom feeds.

A draft or a post under embargo answers 404; a withdrawn post answers 410 with a short
notice and none of its text (docs/decisions/0022).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_scopes import scopes_disabled

from haven.accounts.tenancy import public_view
from haven.letters.content import hashtag_list, plain_summary, render_markdown, share_links
from haven.mail.compose import absolute_url
from haven.news import access
from haven.news.models import Post, PostStatus, PostText
from haven.organisations.languages import is_language_code, language_name
from haven.organisations.models import Organisation

POSTS_PER_PAGE = 20
POSTS_IN_A_FEED = 30


def post_url(post: Post, language: str | None = None) -> str:
    """The absolute address of the post, in ``language`` when not the original."""
    kwargs = {"org": post.owner.slug, "post": post.slug}
    if language and language != post.language:
        return absolute_url(reverse("news_post_language", kwargs={**kwargs, "lang": language}))
    return absolute_url(reverse("news_post", kwargs=kwargs))


def summary_of(text: PostText) -> str:
    """What lists, feeds and link previews show of a post, as plain text (typed or taken
    from the body alike): whatever shows it escapes it once."""
    return text.summary or plain_summary(text.body)


# --- the lists and the feeds ----------------------------------------------------------------


def _language_filter(request: HttpRequest) -> tuple[str, bool]:
    """The language asked for, and whether the request asked for one no list offers."""
    language = request.GET.get("language", "")
    if language and not is_language_code(language):
        return "", True
    return language, False


def _languages_in_use(owner: Organisation | None) -> list[tuple[str, str]]:
    with scopes_disabled():
        texts = PostText.objects.filter(post__in=access.public_posts(owner=owner))
        codes = sorted(set(texts.values_list("language", flat=True)))
    return [(code, language_name(code)) for code in codes]


def _rows(posts: Any, language: str) -> list[dict[str, Any]]:
    rows = []
    for post in posts:
        text = access.text_in(post, language)
        rows.append(
            {
                "post": post,
                "text": text,
                "summary": summary_of(text),
                "url": post_url(post, text.language),
            }
        )
    return rows


def _index(request: HttpRequest, owner: Organisation | None) -> HttpResponse:
    language, bad = _language_filter(request)
    posts = access.public_posts(owner=owner, language=language)
    page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    reading = language or request.LANGUAGE_CODE
    query = urlencode({"language": language}) if language else ""
    feed = (
        reverse("news_organisation_feed", kwargs={"org": owner.slug})
        if owner is not None
        else reverse("news_feed")
    )
    context = {
        "owner": owner,
        "rows": _rows(page.object_list, reading),
        "page": page,
        "language": language,
        "post_languages": _languages_in_use(owner),
        "query": query,
        "feed_url": feed + (f"?{query}" if query else ""),
        "bad_filters": bad,
        "page_url": absolute_url(request.path),
    }
    return render(request, "news/public/index.html", context, status=400 if bad else 200)


@public_view
@require_safe
def news_index(request: HttpRequest) -> HttpResponse:
    return _index(request, None)


@public_view
@require_safe
def news_organisation(request: HttpRequest, org: str) -> HttpResponse:
    return _index(request, access.public_organisation(org))


class PostFeed(Feed):  # type: ignore[type-arg]
    """An Atom feed of public posts, of every organisation or one, in one language or any."""

    feed_type = Atom1Feed

    def __init__(self, *, owner: Organisation | None, language: str, reading: str) -> None:
        super().__init__()
        self.owner, self.only_language = owner, language
        # The feed's own language (Feed reads ``language``): the one asked for, else the reader's.
        self.language = language or reading

    def title(self) -> str:
        if self.owner is not None:
            return _("News from %(name)s") % {"name": self.owner.name}
        return _("News from the network")

    def link(self) -> str:
        if self.owner is not None:
            return absolute_url(reverse("news_organisation", kwargs={"org": self.owner.slug}))
        return absolute_url(reverse("news_index"))

    def subtitle(self) -> str:
        return _("Posts about events, letters and petitions.")

    def items(self) -> QuerySet[Post]:
        return access.public_posts(owner=self.owner, language=self.only_language)[:POSTS_IN_A_FEED]

    def _text(self, post: Post) -> PostText:
        return access.text_in(post, self.language)

    def item_title(self, item: Post) -> str:
        return self._text(item).title

    def item_description(self, item: Post) -> str:
        # Atom1Feed marks the summary type="html": plain text escaped once, so that a reader
        # shows "<img …>" typed in a summary as text, never as markup.
        return escape(summary_of(self._text(item)))

    def item_link(self, item: Post) -> str:
        return post_url(item, self._text(item).language)

    def item_guid(self, item: Post) -> str:
        return post_url(item)

    def item_pubdate(self, item: Post) -> Any:
        return item.publish_at

    def item_updateddate(self, item: Post) -> Any:
        return item.updated_at

    def item_author_name(self, item: Post) -> str:
        return item.owner.name

    def item_categories(self, item: Post) -> list[str]:
        return hashtag_list(item.hashtags)


def _feed(request: HttpRequest, owner: Organisation | None) -> HttpResponse:
    language, bad = _language_filter(request)
    if bad:
        return HttpResponse(_("Unknown language."), status=400, content_type="text/plain")
    feed = PostFeed(owner=owner, language=language, reading=request.LANGUAGE_CODE)
    return feed(request)


@public_view
@require_safe
def news_feed(request: HttpRequest) -> HttpResponse:
    return _feed(request, None)


@public_view
@require_safe
def news_organisation_feed(request: HttpRequest, org: str) -> HttpResponse:
    return _feed(request, access.public_organisation(org))


# --- one post -------------------------------------------------------------------------------


def render_post(
    request: HttpRequest, post: Post, language: str, *, preview: bool = False
) -> HttpResponse:
    """The public page of a post (or the owner's preview of it)."""
    text = access.text_in(post, language)
    page_url = post_url(post, text.language)
    tags = hashtag_list(post.hashtags)
    cards = [access.card_of(link, text.language) for link in access.links_of(post)]
    languages = access.languages_of(post)
    context = {
        "post": post,
        "text": text,
        "body_html": render_markdown(text.body),
        "summary": summary_of(text),
        "cards": [card for card in cards if card.public],
        # The owner's preview says which links the public does not see yet.
        "hidden_cards": [card for card in cards if not card.public] if preview else [],
        "text_languages": [(code, language_name(code)) for code in languages],
        "alternates": [(code, post_url(post, code)) for code in languages],
        "page_url": page_url,
        "share": share_links(page_url, text.title, tags),
        "hashtags": tags,
        "preview": preview,
        "is_public": access.is_public(post),
        "feed_url": reverse("news_organisation_feed", kwargs={"org": post.owner.slug}),
    }
    return render(request, "news/public/post.html", context)


def _withdrawn(request: HttpRequest, post: Post) -> HttpResponse:
    return render(request, "news/public/withdrawn.html", {"post": post}, status=410)


@public_view
@require_safe
def news_post(request: HttpRequest, org: str, post: str) -> HttpResponse:
    found = access.public_post(org, post)
    if found.status == PostStatus.WITHDRAWN:
        return _withdrawn(request, found)
    return render_post(request, found, found.language)


@public_view
@require_safe
def news_post_language(request: HttpRequest, org: str, post: str, lang: str) -> HttpResponse:
    found = access.public_post(org, post)
    if found.status == PostStatus.WITHDRAWN:
        return _withdrawn(request, found)
    if lang not in access.languages_of(found):
        raise Http404
    return render_post(request, found, lang)

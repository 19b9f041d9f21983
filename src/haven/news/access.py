"""Lookups of news posts: the owner's own, the public's, and what a post may link.

Posts are scoped to their owner. The public reads cross organisations on purpose, here
and only here: the news lists, a post by its owner's slug, the cards of the events, letters
and petitions a post links (each shown only while it is public itself), and the posts
about one event or letter (only its owner's own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from haven.events import content as event_content
from haven.events.models import Event, EventStatus, Visibility
from haven.letters import access as letters_access
from haven.letters.models import Letter, LetterStatus
from haven.news.models import LinkKind, Post, PostLink, PostStatus, PostText
from haven.organisations.models import Membership, Organisation
from haven.petitions import access as petitions_access
from haven.petitions.models import Petition, PetitionStatus

# What the public pages cross into other apps' tables to show: never a draft.
PUBLIC_EVENT_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)
LINKABLE_LETTER_STATUSES = (
    LetterStatus.DRAFT,
    LetterStatus.OPEN,
    LetterStatus.CLOSED,
    LetterStatus.PUBLISHED,
)


def posts_of(owner: Organisation) -> QuerySet[Post]:
    """The owner's posts, newest first, with their texts."""
    return Post.objects.filter(owner=owner).prefetch_related("texts").order_by("-created_at")


def post_for(owner: Organisation, post_id: int) -> Post:
    """One of the owner's posts, or 404."""
    post = Post.objects.filter(owner=owner, pk=post_id).select_related("owner").first()
    if post is None:
        raise Http404
    return post


def languages_in_use(owner: Organisation) -> set[str]:
    """The languages the owner's posts are written in (for language menus)."""
    return set(PostText.objects.filter(post__owner=owner).values_list("language", flat=True))


def _texts(post: Post) -> list[PostText]:
    cache = getattr(post, "_prefetched_objects_cache", {})
    return list(cache["texts"]) if "texts" in cache else list(post.texts.all())


def text_in(post: Post, language: str | None) -> PostText:
    """The post in ``language`` if written in it, else in its original language."""
    texts = {text.language: text for text in _texts(post)}
    if language and language in texts:
        return texts[language]
    if post.language in texts:
        return texts[post.language]
    if not texts:
        raise Http404
    return next(iter(texts.values()))


def languages_of(post: Post) -> list[str]:
    """The languages the post is written in, the original first."""
    codes = sorted(text.language for text in _texts(post))
    return sorted(codes, key=lambda code: code != post.language)


def is_public(post: Post, now: datetime | None = None) -> bool:
    """Published and past its publication date."""
    moment = now or timezone.now()
    return (
        post.status == PostStatus.PUBLISHED
        and post.publish_at is not None
        and post.publish_at <= moment
    )


def public_posts(
    *, owner: Organisation | None = None, language: str = "", now: datetime | None = None
) -> QuerySet[Post]:
    """Public posts of every organisation (or one), newest first; with ``language``, only
    those written in it."""
    moment = now or timezone.now()
    with scopes_disabled():
        posts = Post.objects.select_related("owner").filter(
            status=PostStatus.PUBLISHED, publish_at__lte=moment
        )
        if owner is not None:
            posts = posts.filter(owner=owner)
        if language:
            posts = posts.filter(texts__language=language)
        return posts.prefetch_related("texts").order_by("-publish_at", "-pk")


def public_organisation(org: str) -> Organisation:
    """The organisation whose news list the public asks for, or 404."""
    organisation = Organisation.objects.filter(slug=org[:60]).first()
    if organisation is None:
        raise Http404
    return organisation


def public_post(org: str, slug: str) -> Post:
    """A public post, or one withdrawn after it was public (its page says so), or 404."""
    with scopes_disabled():
        post = (
            Post.objects.select_related("owner")
            .prefetch_related("texts")
            .filter(owner__slug=org[:60], slug=slug[:60])
            .first()
        )
    if post is None:
        raise Http404
    if post.status == PostStatus.WITHDRAWN and post.published_at is not None:
        return post
    if not is_public(post):
        raise Http404
    return post


# --- what a post may link -----------------------------------------------------------------


def link_sources(owner: Organisation) -> list[Organisation]:
    """The owner, then the organisations running the networks it is a member of today."""
    today = timezone.localdate()
    networks = (
        Membership.objects.filter(organisation=owner)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .values_list("network__organisation_id", flat=True)
    )
    others = Organisation.objects.filter(pk__in=networks).exclude(pk=owner.pk).order_by("name")
    return [owner, *others]


def _events_to_link(owner: Organisation, sources: list[Organisation]) -> QuerySet[Event]:
    # The owner's own events in any state (a post is often readied with its event);
    # a network's only once public.
    with scopes_disabled():
        return (
            Event.objects.select_related("owner")
            .prefetch_related("texts")
            .filter(
                Q(owner=owner)
                | Q(
                    owner__in=sources[1:],
                    status__in=PUBLIC_EVENT_STATUSES,
                    # An invitation-only event's link is for its invitees, not the network.
                    visibility=Visibility.PUBLIC,
                )
            )
            .order_by("-starts_at")
        )


def _letters_to_link(owner: Organisation, sources: list[Organisation]) -> QuerySet[Letter]:
    with scopes_disabled():
        return (
            Letter.objects.select_related("owner")
            .prefetch_related("texts")
            .filter(
                Q(owner=owner, status__in=LINKABLE_LETTER_STATUSES)
                | Q(owner__in=sources[1:], status__in=LINKABLE_LETTER_STATUSES[1:])
            )
            .order_by("-created_at")
        )


def _petitions_to_link(owner: Organisation, sources: list[Organisation]) -> QuerySet[Petition]:
    with scopes_disabled():
        return (
            Petition.objects.select_related("owner")
            .filter(Q(owner=owner) | (Q(owner__in=sources[1:]) & ~Q(status=PetitionStatus.DRAFT)))
            .order_by("-created_at")
        )


def linkable(owner: Organisation, language: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """What the owner's posts may link, for a choice list: (kind label, [(value, label)])."""
    sources = link_sources(owner)
    by_owner = len(sources) > 1

    def label(title: str, item: Any) -> str:
        return f"{title} ({item.owner.name})" if by_owner and item.owner_id != owner.pk else title

    events = [
        (f"event:{event.pk}", label(event_content.text_in(event, language)[0], event))
        for event in _events_to_link(owner, sources)[:200]
    ]
    letters = []
    for letter in _letters_to_link(owner, sources)[:200]:
        texts = {text.language: text for text in letter.texts.all()}
        text = texts.get(language) or texts.get(letter.original_language)
        if text is not None:
            letters.append((f"letter:{letter.pk}", label(text.title, letter)))
    petitions = [
        (f"petition:{petition.pk}", label(petition.title, petition))
        for petition in _petitions_to_link(owner, sources)[:200]
    ]
    return [
        (str(LinkKind.EVENT.label), events),
        (str(LinkKind.LETTER.label), letters),
        (str(LinkKind.PETITION.label), petitions),
    ]


def item_to_link(owner: Organisation, kind: str, item_id: int) -> Event | Letter | Petition | None:
    """The event, letter or petition the owner's post may link, or None."""
    sources = link_sources(owner)
    found: Event | Letter | Petition | None
    if kind == LinkKind.EVENT:
        found = _events_to_link(owner, sources).filter(pk=item_id).first()
    elif kind == LinkKind.LETTER:
        found = _letters_to_link(owner, sources).filter(pk=item_id).first()
    elif kind == LinkKind.PETITION:
        found = _petitions_to_link(owner, sources).filter(pk=item_id).first()
    else:
        found = None
    return found


def links_of(post: Post) -> list[PostLink]:
    """The post's links in order, with what they name."""
    with scopes_disabled():
        return list(
            PostLink.objects.filter(post=post)
            .select_related("post", "event__owner", "letter__owner", "petition__owner")
            .prefetch_related(Prefetch("event__texts"), Prefetch("letter__texts"))
            .order_by("position", "pk")
        )


# --- cards: what the public sees of a link -------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A linked item as the public sees it; ``url`` empty when it is not public (now)."""

    kind: str
    kind_label: str
    title: str
    owner: str
    url: str
    details: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def public(self) -> bool:
        return bool(self.url)


def _event_card(event: Event, language: str, *, own: bool) -> Card:
    title, _description = event_content.text_in(event, language)
    # Another organisation's event made invitation-only since it was linked leaves the
    # post's public cards, as it could not be linked now (``_events_to_link``).
    public = event.status in PUBLIC_EVENT_STATUSES and (
        own or event.visibility == Visibility.PUBLIC
    )
    starts = event_content.local_time(event, event.starts_at)
    details = [
        str(event.get_kind_display()),
        f"{date_format(starts, 'DATETIME_FORMAT')} ({event_content.zone_label(event)})",
    ]
    place = event_content.public_place_of(event)
    if place:
        details.append(place)
    if event.online:
        details.append(_("Online"))
    note = ""
    if event.status == EventStatus.CANCELLED:
        note = _("Cancelled")
    elif event.ends_at < timezone.now():
        note = _("Past event")
    url = (
        reverse("event_public", kwargs={"org": event.owner.slug, "event": event.slug})
        if public
        else ""
    )
    return Card(
        kind=LinkKind.EVENT,
        kind_label=str(LinkKind.EVENT.label),
        title=title,
        owner=event.owner.name,
        url=url,
        details=details,
        note=note,
    )


def _letter_card(letter: Letter, language: str) -> Card:
    texts = {text.language: text for text in letter.texts.all()}
    text = texts.get(language) or texts.get(letter.original_language)
    title = text.title if text is not None else letter.slug
    kwargs = {"org": letter.owner.slug, "letter": letter.slug}
    url, note = "", ""
    if letters_access.is_public(letter):
        url = reverse("letter_public", kwargs=kwargs)
        if letter.status == LetterStatus.WITHDRAWN:
            note = _("Withdrawn")
    elif letter.status in (LetterStatus.OPEN, LetterStatus.CLOSED):
        url = reverse("letter_request", kwargs=kwargs)
        note = (
            _("Open for signatures")
            if letters_access.accepts_signatures(letter)
            else _("Signatures closed")
        )
    return Card(
        kind=LinkKind.LETTER,
        kind_label=str(letter.get_kind_display()),
        title=title,
        owner=letter.owner.name,
        url=url,
        details=[],
        note=note,
    )


def _petition_card(petition: Petition) -> Card:
    public = petition.status != PetitionStatus.DRAFT
    url = (
        reverse("petition_public", kwargs={"org": petition.owner.slug, "petition": petition.slug})
        if public
        else ""
    )
    # Past its closing time it is closed, even before the nightly run records it.
    open_now = petitions_access.status_now(petition) == PetitionStatus.OPEN
    note = _("Open for signatures") if open_now else _("Closed")
    return Card(
        kind=LinkKind.PETITION,
        kind_label=str(LinkKind.PETITION.label),
        title=petition.title,
        owner=petition.owner.name,
        url=url,
        details=[petition.summary] if petition.summary else [],
        note=note if public else "",
    )


def card_of(link: PostLink, language: str) -> Card:
    """The card of one link, public or not (``Card.public`` says)."""
    if link.event is not None:
        return _event_card(link.event, language, own=link.event.owner_id == link.post.owner_id)
    if link.letter is not None:
        return _letter_card(link.letter, language)
    assert link.petition is not None
    return _petition_card(link.petition)


def public_cards(post: Post, language: str) -> list[Card]:
    """The cards the public sees on the post: only of items that are public now."""
    return [card for card in (card_of(link, language) for link in links_of(post)) if card.public]


@dataclass(frozen=True)
class About:
    """A public post about an item, in the reader's language where it exists."""

    post: Post
    text: PostText

    @property
    def url(self) -> str:
        kwargs = {"org": self.post.owner.slug, "post": self.post.slug}
        if self.text.language == self.post.language:
            return reverse("news_post", kwargs=kwargs)
        return reverse("news_post_language", kwargs={**kwargs, "lang": self.text.language})


def news_about(*, item: Event | Letter, language: str, limit: int = 5) -> list[About]:
    """The newest public posts of the item's owner linking this event or letter.

    Only the owner's: a network member may link another organisation's event or letter
    in its own posts, but what appears on the item's page is for its owner to say.
    """
    field_name = "event" if isinstance(item, Event) else "letter"
    with scopes_disabled():
        posts = list(
            public_posts(owner=item.owner)
            .filter(**{f"links__{field_name}": item})
            .distinct()[:limit]
        )
    return [About(post=post, text=text_in(post, language)) for post in posts]

"""Every change to news posts: drafting, translating, linking, publishing and withdrawing.

Each action runs in one transaction and writes one audit event. A post links only what its
owner may link (``access.item_to_link``); the public pages decide at each view whether a
linked item is public, so a post can be readied with an event or letter still in draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.dates import moment_problem
from haven.letters.actions import check_language
from haven.letters.content import clean_hashtags, free_slug
from haven.news import access
from haven.news.models import LinkKind, Post, PostLink, PostStatus, PostText
from haven.ordering import move_within, set_order
from haven.organisations.models import Organisation
from haven.privacy import audit

TEXT_LIMITS = {"title": 300, "summary": 500, "body": 50_000}
MOST_LINKS = 20
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": ((PostStatus.DRAFT,), PostStatus.PUBLISHED),
    "withdraw": ((PostStatus.PUBLISHED,), PostStatus.WITHDRAWN),
    "redraft": ((PostStatus.WITHDRAWN,), PostStatus.DRAFT),
}


def _clean_text(title: str, summary: str, body: str) -> dict[str, str]:
    values = {"title": title.strip(), "summary": " ".join(summary.split()), "body": body.strip()}
    for name, value in values.items():
        if len(value) > TEXT_LIMITS[name]:
            raise ValidationError(
                {name: _("At most %(limit)d characters, please.") % {"limit": TEXT_LIMITS[name]}}
            )
    if not values["title"]:
        raise ValidationError({"title": _("Give the post a title.")})
    if not values["body"]:
        raise ValidationError({"body": _("Write the text of the post.")})
    return values


def _check_date(publish_at: datetime | None) -> None:
    if publish_at is not None and timezone.is_naive(publish_at):
        raise ValidationError({"publish_at": _("Give the time with its time zone.")})
    if publish_at is not None and (problem := moment_problem(publish_at)):
        raise ValidationError({"publish_at": problem})


def create_post(
    *,
    actor: User,
    owner: Organisation,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    hashtags: str = "",
    request: HttpRequest | None = None,
) -> Post:
    """Start a draft post in its original language."""
    language = check_language(language)
    text = _clean_text(title, summary, body)
    post = Post(owner=owner, language=language, hashtags=clean_hashtags(hashtags), created_by=actor)
    for _attempt in range(3):
        post.slug = free_slug(Post, owner, text["title"])
        try:
            with transaction.atomic():
                post.save()
                PostText.objects.create(post=post, language=language, **text)
                audit.record(
                    "news.created",
                    actor=actor,
                    organisation=owner,
                    target=post,
                    details={"language": language},
                    request=request,
                )
        except IntegrityError:
            post.pk = None
            continue
        return post
    raise ValidationError(_("Could not give this post an address; try again."))


def update_post(
    *,
    actor: User,
    post: Post,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Post:
    """Change the hashtags, or the publication date while the post is not yet public."""
    unknown = sorted(set(changes) - {"hashtags", "publish_at"})
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        current = Post.objects.select_for_update().get(pk=post.pk)
        fields = []
        if "hashtags" in changes:
            current.hashtags = clean_hashtags(str(changes["hashtags"] or ""))
            fields.append("hashtags")
        if "publish_at" in changes and changes["publish_at"] != current.publish_at:
            publish_at = changes["publish_at"]
            if publish_at is not None and not isinstance(publish_at, datetime):
                raise ValidationError({"publish_at": _("Give a date and time.")})
            _check_date(publish_at)
            if access.is_public(current):
                raise ValidationError(
                    {"publish_at": _("The post is public already: its date stays.")}
                )
            if current.status == PostStatus.PUBLISHED and publish_at is None:
                raise ValidationError(
                    {"publish_at": _("A published post needs its publication date.")}
                )
            current.publish_at = publish_at
            fields.append("publish_at")
        if fields:
            current.save(update_fields=[*fields, "updated_at"])
            audit.record(
                "news.updated",
                actor=actor,
                organisation=current.owner,
                target=current,
                details={"fields": fields},
                request=request,
            )
    current.owner = post.owner
    return current


def save_text(
    *,
    actor: User,
    post: Post,
    language: str,
    title: str,
    body: str,
    summary: str = "",
    request: HttpRequest | None = None,
) -> PostText:
    """Write the post in one more language, or change a text (each a full text)."""
    language = check_language(language)
    if post.status == PostStatus.WITHDRAWN:
        raise ValidationError(_("A withdrawn post no longer changes; bring it back to draft."))
    values = _clean_text(title, summary, body)
    with transaction.atomic():
        text, created = PostText.objects.update_or_create(
            post=post, language=language, defaults=values
        )
        Post.objects.filter(pk=post.pk).update(updated_at=timezone.now())
        audit.record(
            "news.text_added" if created else "news.text_changed",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"language": language},
            request=request,
        )
    return text


def remove_text(
    *, actor: User, post: Post, language: str, request: HttpRequest | None = None
) -> None:
    """Take a translation off the post (the original stays)."""
    if language == post.language:
        raise ValidationError(_("The original text stays; change it instead."))
    with transaction.atomic():
        deleted, _rows = PostText.objects.filter(post=post, language=language[:8]).delete()
        if not deleted:
            raise ValidationError(_("The post is not written in this language."))
        audit.record(
            "news.text_removed",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"language": language},
            request=request,
        )


def _item_fields(owner: Organisation, kind: str, item_id: int) -> dict[str, Any]:
    item = access.item_to_link(owner, kind, item_id)
    if item is None:
        raise ValidationError(
            {
                "link": _(
                    "Choose one of your organisation's or your networks' events, letters "
                    "or petitions."
                )
            }
        )
    return {str(LinkKind(kind).value): item}


def add_link(
    *,
    actor: User,
    post: Post,
    kind: str,
    item_id: int,
    request: HttpRequest | None = None,
) -> PostLink:
    """Link an event, letter or petition at the end of the post's cards."""
    fields = _item_fields(post.owner, kind, item_id)
    with transaction.atomic():
        count = PostLink.objects.filter(post=post).count()
        if count >= MOST_LINKS:
            raise ValidationError(
                {"link": _("A post links at most %(count)d items.") % {"count": MOST_LINKS}}
            )
        try:
            with transaction.atomic():
                link = PostLink.objects.create(post=post, position=count, **fields)
        except IntegrityError as error:
            raise ValidationError({"link": _("The post links this already.")}) from error
        audit.record(
            "news.link_added",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"kind": kind, "item": item_id},
            request=request,
        )
    return link


def remove_link(
    *, actor: User, post: Post, link_id: int, request: HttpRequest | None = None
) -> None:
    """Take a card off the post."""
    with transaction.atomic():
        deleted, _rows = PostLink.objects.filter(post=post, pk=link_id).delete()
        if not deleted:
            raise ValidationError(_("The post has no such link."))
        audit.record(
            "news.link_removed",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"link": link_id},
            request=request,
        )


def move_link(
    *,
    actor: User,
    post: Post,
    link_id: int,
    direction: str,
    request: HttpRequest | None = None,
) -> bool:
    """Move a card a place up or down."""
    with transaction.atomic():
        moved = move_within(
            PostLink.objects.filter(post=post).order_by("position", "pk"), link_id, direction
        )
        if moved:
            audit.record(
                "news.links_reordered",
                actor=actor,
                organisation=post.owner,
                target=post,
                details={"moved": link_id, "direction": direction},
                request=request,
            )
    return moved


def set_links(
    *,
    actor: User,
    post: Post,
    links: Sequence[tuple[str, int]],
    request: HttpRequest | None = None,
) -> list[PostLink]:
    """Make the post link exactly these items, in this order (kind, id)."""
    if len(links) > MOST_LINKS:
        raise ValidationError(
            {"links": _("A post links at most %(count)d items.") % {"count": MOST_LINKS}}
        )
    if len(set(links)) != len(links):
        raise ValidationError({"links": _("Each item once, please.")})
    wanted = [_item_fields(post.owner, kind, item_id) for kind, item_id in links]
    with transaction.atomic():
        existing = {
            (link.kind, link.item_id): link
            for link in PostLink.objects.select_for_update().filter(post=post)
        }
        keep = set(links)
        PostLink.objects.filter(
            pk__in=[link.pk for key, link in existing.items() if key not in keep]
        ).delete()
        result = []
        for position, ((kind, item_id), fields) in enumerate(zip(links, wanted, strict=True)):
            link = existing.get((kind, item_id)) or PostLink(post=post, **fields)
            link.position = position
            link.save()
            result.append(link)
        audit.record(
            "news.links_set",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"links": [f"{kind}:{item_id}" for kind, item_id in links]},
            request=request,
        )
    return result


def order_links(
    *, actor: User, post: Post, ids: Sequence[int], request: HttpRequest | None = None
) -> None:
    """Put the post's cards in the order of their link ids."""
    with transaction.atomic():
        set_order(PostLink.objects.filter(post=post).order_by("position", "pk"), ids)
        audit.record(
            "news.links_reordered",
            actor=actor,
            organisation=post.owner,
            target=post,
            details={"order": list(ids)},
            request=request,
        )


def move_post(
    *,
    actor: User,
    post: Post,
    move: str,
    publish_at: datetime | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Post:
    """Publish (from ``publish_at``: an embargo until then), withdraw with a reason, or
    bring a withdrawn post back to draft."""
    if move not in MOVES:
        raise ValidationError({"move": _("Unknown step.")})
    _check_date(publish_at)
    starts, target = MOVES[move]
    reason = " ".join(reason.split())
    if len(reason) > 500:
        raise ValidationError(
            {"reason": _("At most %(limit)d characters, please.") % {"limit": 500}}
        )
    with transaction.atomic():
        current = Post.objects.select_for_update().select_related("owner").get(pk=post.pk)
        if current.status not in starts:
            raise ValidationError(
                _("A post that is “%(status)s” cannot take this step.")
                % {"status": PostStatus(current.status).label}
            )
        now = timezone.now()
        fields = ["status", "updated_at"]
        if move == "publish":
            current.publish_at = publish_at or current.publish_at or now
            current.published_at = now
            fields += ["publish_at", "published_at"]
        elif move == "withdraw":
            if not reason:
                raise ValidationError({"reason": _("Say why the post is withdrawn.")})
            current.withdrawn_at, current.withdrawal_reason = now, reason
            fields += ["withdrawn_at", "withdrawal_reason"]
        else:
            # Back to draft: published again later, from a new date.
            current.publish_at = None
            fields.append("publish_at")
        current.status = target
        current.save(update_fields=fields)
        audit.record(
            f"news.{move}",
            actor=actor,
            organisation=current.owner,
            target=current,
            details={
                **({"reason": reason} if reason else {}),
                **(
                    {"publish_at": current.publish_at.isoformat()}
                    if move == "publish" and current.publish_at
                    else {}
                ),
            },
            request=request,
        )
    return current


def delete_post(*, actor: User, post: Post, request: HttpRequest | None = None) -> None:
    """Delete a draft that was never published (a published one is withdrawn instead)."""
    with transaction.atomic():
        current = Post.objects.select_for_update().get(pk=post.pk)
        if current.status != PostStatus.DRAFT or current.published_at is not None:
            raise ValidationError(
                _("Only a draft never published can be deleted; withdraw a published post.")
            )
        post_id, slug = current.pk, current.slug
        current.delete()
        audit.record(
            "news.deleted",
            actor=actor,
            organisation=post.owner,
            object_type="news.post",
            object_id=post_id,
            details={"slug": slug},
            request=request,
        )

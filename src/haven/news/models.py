"""News posts: what an organisation tells the public, linking its events and letters.

A post belongs to the organisation whose advocacy staff write it (its owner). Its title,
summary and body exist in one or more languages, one of them the original, each a full
text (``PostText``). It links events, letters and petitions in the order staff choose
(``PostLink``); the public sees a link's card only while the item itself is public. A post
is public once published and past its publication date (an embargo until then); a
withdrawn post leaves the public pages and answers 410 (docs/decisions/0022).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from haven.events.models import Event
from haven.letters.models import Letter
from haven.organisations.models import Organisation
from haven.petitions.models import Petition


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", pgettext_lazy("news post status", "Published")
    WITHDRAWN = "withdrawn", pgettext_lazy("news post status", "Withdrawn")


class Post(models.Model):
    """A news post; its texts live in one ``PostText`` per language."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(_("identifier in addresses"), max_length=60)
    status = models.CharField(
        _("status"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    language = models.CharField(_("original language"), max_length=8)
    # The publication date the public sees; before it the post is under embargo.
    publish_at = models.DateTimeField(_("publication date"), null=True, blank=True)
    hashtags = models.CharField(_("hashtags"), max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Post]] = ScopedManager(organisation="owner")

    class Meta:
        ordering: ClassVar = ["-publish_at", "-created_at"]
        verbose_name = _("news post")
        verbose_name_plural = _("news posts")
        indexes: ClassVar = [
            models.Index(fields=["status", "publish_at"], name="news_public_listing"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["owner", "slug"], name="news_slug_unique_per_owner"),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(publish_at__isnull=False),
                name="news_published_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class PostText(models.Model):
    """The post in one language: a full text, not a summary of the original."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    summary = models.CharField(
        _("summary"),
        max_length=500,
        blank=True,
        help_text=_("One or two sentences for lists, feeds and link previews."),
    )
    body = models.TextField(_("text"), max_length=50_000, help_text=_("Markdown."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["language"]
        indexes: ClassVar = [models.Index(fields=["language", "post"], name="news_text_language")]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["post", "language"], name="one_news_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} ({self.language})"


class LinkKind(models.TextChoices):
    EVENT = "event", _("Event")
    LETTER = "letter", _("Letter or statement")
    PETITION = "petition", _("Petition")


class PostLink(models.Model):
    """An event, letter or petition the post is about, shown as a card in this position."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="links")
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="news_links"
    )
    letter = models.ForeignKey(
        Letter, on_delete=models.CASCADE, null=True, blank=True, related_name="news_links"
    )
    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, null=True, blank=True, related_name="news_links"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, letter__isnull=True, petition__isnull=True)
                    | Q(event__isnull=True, letter__isnull=False, petition__isnull=True)
                    | Q(event__isnull=True, letter__isnull=True, petition__isnull=False)
                ),
                name="news_link_names_one_item",
            ),
            models.UniqueConstraint(
                fields=["post", "event"],
                condition=Q(event__isnull=False),
                name="news_links_an_event_once",
            ),
            models.UniqueConstraint(
                fields=["post", "letter"],
                condition=Q(letter__isnull=False),
                name="news_links_a_letter_once",
            ),
            models.UniqueConstraint(
                fields=["post", "petition"],
                condition=Q(petition__isnull=False),
                name="news_links_a_petition_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in {self.post_id}"

    @property
    def kind(self) -> str:
        if self.event_id is not None:
            return LinkKind.EVENT
        if self.letter_id is not None:
            return LinkKind.LETTER
        return LinkKind.PETITION

    @property
    def item_id(self) -> int:
        return int(self.event_id or self.letter_id or self.petition_id or 0)

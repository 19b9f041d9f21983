"""News objects of one organisation, as the authorisation matrix names them in URLs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from haven.accounts.models import User
from haven.events.models import Event
from haven.letters.models import Letter
from haven.news import actions
from haven.news.models import Post
from haven.organisations.models import Organisation

NEWS_PARAMETERS = ("post_id", "post")


def published_post(
    organisation: Organisation, staff: User, title: str = "Matrix news", **text: str
) -> Post:
    """A public post of ``organisation`` in English and French."""
    post = actions.create_post(
        actor=staff,
        owner=organisation,
        language="en",
        title=title,
        summary=text.get("summary", "A summary."),
        body=text.get("body", "The *text* of the post."),
    )
    actions.save_text(
        actor=staff, post=post, language="fr", title=f"{title} (fr)", body="Le *texte*."
    )
    return actions.move_post(
        actor=staff, post=post, move="publish", publish_at=timezone.now() - timedelta(minutes=5)
    )


def news_objects(organisation: Organisation, staff: User) -> dict[str, object]:
    """A public post linking the organisation's first event and letter (if it has them)."""
    post = published_post(organisation, staff)
    event = Event.objects.filter(owner=organisation).first()
    letter = Letter.objects.filter(owner=organisation).first()
    links = [("event", event.pk)] if event else []
    links += [("letter", letter.pk)] if letter else []
    actions.set_links(actor=staff, post=post, links=links)
    return {"post_id": post.pk, "post": post.slug}

"""What letters and petitions share: Markdown to safe HTML, slugs, share links, tokens, exports.

The petitions app imports these; nothing here knows about one app's models.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from typing import Any, Literal
from urllib.parse import quote, urlencode

import nh3
from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from haven.records.export import Cell, csv_bytes, encrypted_zip, xlsx_bytes

Format = Literal["csv", "xlsx"]

# CommonMark with tables and strikethrough; raw HTML in the source is shown as text, and
# whatever the renderer makes still goes through nh3, so no script ever reaches a page.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.enable(["table", "strikethrough"])
_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def render_markdown(text: str) -> SafeString:
    """Markdown as HTML that is safe to put in a page: only harmless tags and links."""
    html = _MARKDOWN.render(text or "")
    # The page has the h1; a heading written as "# ..." in a letter becomes an h2.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just sanitised it


def plain_summary(text: str, length: int = 200) -> str:
    """The first words of a Markdown text without its markup, for previews and metadata.

    Plain text, as a summary typed by hand: "Fish & chips <3" stays so, and whatever shows
    it escapes it once (templates do; an HTML feed must).
    """
    rendered = _MARKDOWN.render(text or "")
    # nh3 strips the tags but leaves the text HTML-escaped: unescaped here, once.
    words = " ".join(unescape(nh3.clean(rendered, tags=set())).split())
    return words if len(words) <= length else words[: length - 1].rsplit(" ", 1)[0] + "…"


def hashtag_list(text: str) -> list[str]:
    """Hashtags as typed ("#LastGirlFirst, Equality"), each without its # and spaces."""
    tags = []
    for word in re.split(r"[\s,;]+", text or ""):
        tag = word.lstrip("#").strip()
        if tag and re.fullmatch(r"\w{1,60}", tag) and tag not in tags:
            tags.append(tag)
    return tags


def clean_hashtags(text: str) -> str:
    """Hashtags stored in one form: "#one #two"."""
    return " ".join(f"#{tag}" for tag in hashtag_list(text))[:200]


@dataclass(frozen=True)
class ShareLink:
    label: str
    href: str


def share_links(url: str, title: str, hashtags: Sequence[str]) -> list[ShareLink]:
    """Plain links that open each service's own share page: no script, button or tracker."""
    text = f"{title} {' '.join('#' + tag for tag in hashtags)}".strip()
    return [
        ShareLink(_("E-mail"), f"mailto:?subject={quote(title)}&body={quote(url)}"),
        ShareLink(
            "Mastodon", "https://mastodonshare.com/?" + urlencode({"text": text, "url": url})
        ),
        ShareLink(
            "Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {url}"})
        ),
        ShareLink(
            "X",
            "https://x.com/intent/post?"
            + urlencode({"text": title, "url": url, "hashtags": ",".join(hashtags)}),
        ),
        ShareLink(
            "Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})
        ),
        ShareLink(
            "LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})
        ),
        ShareLink("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{text} {url}"})),
    ]


def embed_code(counter_url: str, title: str) -> str:
    """The HTML another site pastes to show a counter (escaped again by the template)."""
    return (
        f'<iframe src="{escape(counter_url)}" title="{escape(title)}" '
        'width="320" height="110" style="border:0"></iframe>'
    )


def free_slug(model: type[models.Model], owner: Any, title: str) -> str:
    """A slug from the title that the owner has not used yet for this kind of text."""
    base = slugify(title)[:50].strip("-") or "text"
    taken = set(
        model._default_manager.filter(owner=owner, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    for number in range(2, 1000):
        candidate = f"{base}-{number}"
        if candidate not in taken:
            return candidate
    return f"{base}-{secrets.token_hex(3)}"


def link_token(salt: str, value: object) -> str:
    """A signed, URL-safe token for an e-mail link; nothing secret is stored or queued."""
    return signing.dumps(str(value), salt=salt, compress=False)


def read_link_token(salt: str, token: str, *, max_age_days: int) -> str | None:
    """The value a token was made for, or None if it was forged, garbled or is too old."""
    if len(token) > 300:
        return None
    try:
        value = signing.loads(token, salt=salt, max_age=max_age_days * 86_400)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ExportedFile:
    filename: str
    content: bytes
    rows: int


def export_table(
    *,
    stem: str,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    file_format: Format,
    passphrase: str,
) -> ExportedFile:
    """A CSV or XLSX of the rows inside an AES-256 ZIP opened by ``passphrase``."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    inner = f"{stem}-{stamp}.{file_format}"
    table = csv_bytes(header, rows) if file_format == "csv" else xlsx_bytes(title, header, rows)
    return ExportedFile(
        filename=f"{inner}.zip", content=encrypted_zip(inner, table, passphrase), rows=len(rows)
    )

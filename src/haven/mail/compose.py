"""Send an e-mail built from templates, in the recipient's language, with a plain-text part.

Each message is three templates side by side: ``<name>.subject.txt`` (one line),
``<name>.txt`` (extends ``mail/base.txt``) and ``<name>.html`` (extends ``mail/base.html``).
Call ``send_templated`` from a task (django-tasks), never from a request: the task loads
its objects and rebuilds any link itself, so no secret waits in the queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

# Marks a message as sent by a program, so auto-responders do not answer it (RFC 3834).
AUTO_SUBMITTED = {"Auto-Submitted": "auto-generated"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


def absolute_url(path: str) -> str:
    """A path of this site as the link an e-mail carries."""
    return settings.HAVEN_BASE_URL.rstrip("/") + path


def render_templated(
    name: str, context: Mapping[str, Any], *, language: str
) -> tuple[str, str, str]:
    """The subject, plain text and HTML of ``name`` rendered in ``language``."""
    full = {"base_url": settings.HAVEN_BASE_URL.rstrip("/"), **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{name}.subject.txt", full).split())
        text = render_to_string(f"{name}.txt", full)
        html = render_to_string(f"{name}.html", full)
    return subject, text.strip() + "\n", html


def send_templated(
    name: str,
    *,
    to: Sequence[str],
    context: Mapping[str, Any],
    language: str,
    attachments: Sequence[Attachment] = (),
    reply_to: Sequence[str] = (),
) -> None:
    """Render ``name`` in ``language`` and send it to ``to``, one message for all of them."""
    subject, text, html = render_templated(name, context, language=language)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=list(to),
        reply_to=list(reply_to),
        headers={**AUTO_SUBMITTED, "Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()

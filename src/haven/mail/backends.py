"""An e-mail backend that keeps every message in the local outbox instead of sending it.

Development and the demo use it (settings.py), so a visitor who signs a petition or
registers for an event can open the confirmation e-mail at ``/outbox/`` and follow its
link. Production refuses to start without SMTP, so this backend never holds real mail.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from haven.mail.models import OutboxMessage

# Larger attachments are listed by name and size only.
LARGEST_KEPT_ATTACHMENT = 1_000_000


def _attachment(item: Any) -> dict[str, Any]:
    if isinstance(item, MIMEBase):
        filename = item.get_filename() or "attachment"
        mimetype = item.get_content_type()
        content = item.get_payload(decode=True) or b""
    else:
        filename, content, mimetype = item[0] or "attachment", item[1], item[2] or ""
    raw = content.encode() if isinstance(content, str) else bytes(content)
    kept = len(raw) <= LARGEST_KEPT_ATTACHMENT
    return {
        "filename": str(filename),
        "mimetype": str(mimetype or "application/octet-stream"),
        "size": len(raw),
        "content": base64.b64encode(raw).decode() if kept else None,
    }


def _html_of(message: EmailMessage) -> str:
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                return str(content)
    return ""


class OutboxBackend(BaseEmailBackend):
    """Store each message as an ``OutboxMessage``."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        stored = [
            OutboxMessage(
                subject=str(message.subject)[:998],
                from_email=str(message.from_email),
                to=[str(address) for address in [*message.to, *message.cc, *message.bcc]],
                text=str(message.body),
                html=_html_of(message),
                attachments=[_attachment(item) for item in message.attachments],
                headers={str(k): str(v) for k, v in message.extra_headers.items()},
            )
            for message in email_messages
        ]
        OutboxMessage.objects.bulk_create(stored)
        return len(stored)

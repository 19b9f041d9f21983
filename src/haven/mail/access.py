"""Lookups of the local outbox, which exists only while the outbox backend is configured."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404

from haven.mail.models import OutboxMessage

OUTBOX_BACKEND = "haven.mail.backends.OutboxBackend"


def outbox_enabled() -> bool:
    """True in the demo and development, where e-mails stay in the outbox; never in production."""
    return bool(settings.EMAIL_BACKEND == OUTBOX_BACKEND)


def outbox_messages(to: str = "") -> QuerySet[OutboxMessage]:
    """The outbox, newest first, optionally only messages to addresses containing ``to``."""
    if not outbox_enabled():
        raise Http404
    messages = OutboxMessage.objects.all()
    if to:
        # JSON containment differs between databases; the outbox is small, a text match will do.
        messages = messages.filter(to__icontains=to)
    return messages


def outbox_message(message_id: int) -> OutboxMessage:
    """One message of the outbox, or 404 (also whenever the outbox is off)."""
    message = outbox_messages().filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message

"""The audit trail: append an event, verify the chain.

Every action, every read of a protected record, every login and every refusal calls
``record``. It runs inside the caller's transaction, so an action that rolls back
leaves no event, and an event that cannot be written rolls the action back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from haven.privacy.models import AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from haven.organisations.models import Organisation

GENESIS_HASH = "0" * 64
_SCALARS = (str, int, float, bool, type(None))


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _event_hash(event: AuditEvent) -> str:
    fields = [
        event.seq,
        event.occurred_at.isoformat(),
        event.actor_id,
        event.organisation_id,
        event.action,
        event.object_type,
        event.object_id,
        event.outcome,
        event.ip_address,
        event.details_digest,
        event.prev_hash,
    ]
    return hashlib.sha256(_canonical(fields)).hexdigest()


def _details_digest(details: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(details)).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; behind Haven's proxy, the one the proxy saw (its last hop)."""
    if request is None:
        return None
    if settings.HAVEN_BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")[-1].strip()
        if forwarded:
            return forwarded[:45]
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: models.Model | None,
    organisation: Organisation | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: object = "",
    outcome: str = "ok",
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the chain; never pass a protected value in ``details``."""
    details = dict(details or {})
    for key, value in details.items():
        if not isinstance(value, _SCALARS) and not (
            isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value)
        ):
            raise TypeError(f"audit detail {key!r} must be a plain value, not {type(value)}")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or target.pk
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            organisation_id=organisation.pk if organisation is not None else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            outcome=outcome,
            ip_address=client_ip(request),
            details=details,
            details_digest=_details_digest(details),
            prev_hash=head.last_hash,
        )
        event.hash = _event_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None


def _events_in_order() -> Iterator[AuditEvent]:
    return AuditEvent.unscoped.order_by("seq").iterator(chunk_size=2000)


def verify_chain(expected_head: str | None = None) -> ChainReport:
    """Walk the whole chain and report its first broken link, if any."""
    previous_hash = GENESIS_HASH
    previous_seq = 0
    count = 0
    first_break: ChainBreak | None = None
    for event in _events_in_order():
        count += 1
        if first_break is None:
            if event.seq != previous_seq + 1:
                first_break = ChainBreak(
                    event.seq, f"events {previous_seq + 1} to {event.seq - 1} are missing"
                )
            elif event.prev_hash != previous_hash:
                first_break = ChainBreak(
                    event.seq, "does not follow the event before it (removed or reordered)"
                )
            elif event.details_digest != _details_digest(event.details) and event.details:
                first_break = ChainBreak(event.seq, "its details were changed")
            elif _event_hash(event) != event.hash:
                first_break = ChainBreak(event.seq, "was changed after it was written")
        previous_hash, previous_seq = event.hash, event.seq
    head = AuditChainHead.objects.get(pk=1)
    if first_break is None and (head.last_seq, head.last_hash) != (previous_seq, previous_hash):
        first_break = ChainBreak(
            previous_seq + 1,
            f"the chain ends at {previous_seq} but its head says {head.last_seq}: "
            "the latest events were removed",
        )
    if (
        first_break is None
        and expected_head
        and expected_head
        not in {
            previous_hash,
            *AuditEvent.unscoped.filter(hash=expected_head).values_list("hash", flat=True),
        }
    ):
        first_break = ChainBreak(previous_seq, "the shipped chain head is not in the chain")
    return ChainReport(count, previous_seq, previous_hash, first_break)

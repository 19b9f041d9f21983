"""Lookups of the audit trail, always inside one organisation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent


def audit_events_for(
    organisation: Organisation, filters: Mapping[str, Any]
) -> QuerySet[AuditEvent]:
    """The organisation's audit events, newest first, narrowed by the DPO's filters."""
    events = AuditEvent.objects.filter(organisation=organisation).select_related("actor")
    if filters.get("user"):
        events = events.filter(actor__username__iexact=filters["user"])
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    if filters.get("since"):
        events = events.filter(occurred_at__date__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(occurred_at__date__lte=filters["until"])
    return events.order_by("-seq")

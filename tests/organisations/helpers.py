"""Helpers of the directory tests."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scopes_disabled

from haven.organisations.models import Membership, Network, Organisation
from haven.privacy.models import AuditEvent
from haven.timezones import zone_name_for


def audit_events(action: str, **filters: Any) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def snapshot(organisation: Organisation) -> dict[str, Any]:
    organisation.refresh_from_db()
    return {
        field: getattr(organisation, field)
        for field in ("name", "short_name", "kind", "country", "city", "website", "languages")
    }


def membership_of(network: Network, organisation: Organisation) -> Membership:
    return Membership.objects.get(network=network, organisation=organisation, until__isnull=True)


def coalition_today() -> date:
    """Today in the coalition's time zone (Belgium's, unless the suite runs every
    organisation in UTC), which its pages and API run in."""
    return timezone.localdate(timezone=ZoneInfo(zone_name_for("", "BE")))

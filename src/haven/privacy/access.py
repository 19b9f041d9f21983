"""Lookups of the audit trail, always inside one organisation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet

from haven.accounts.models import RoleAssignment, User
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent


def _trail_of(organisation: Organisation) -> QuerySet[AuditEvent]:
    staff = list(
        RoleAssignment.objects.filter(organisation=organisation)
        .values_list("user_id", flat=True)
        .distinct()
    )
    # Sign-ins and API tokens belong to an account, not to an organisation, yet a DPO must
    # see attacks on their own staff's accounts and the tokens that act in the organisation
    # with their roles: the one deliberate reach across the tenant scope, limited to the
    # current staff's auth.* events (logins by them, failed logins against their accounts)
    # and api_token.* events (tokens they made or revoked). No other organisation's object
    # is ever named by these.
    sign_ins = Q(organisation__isnull=True, action__startswith="auth.") & (
        Q(actor_id__in=staff)
        | Q(object_type="accounts.user", object_id__in=[str(pk) for pk in staff])
    )
    tokens = Q(organisation__isnull=True, action__startswith="api_token.", actor_id__in=staff)
    return AuditEvent.unscoped.filter(Q(organisation=organisation) | sign_ins | tokens)


def audit_outcomes_for(organisation: Organisation) -> list[str]:
    """The outcomes that occur in the organisation's trail, for the outcome filter."""
    return sorted(
        set(_trail_of(organisation).order_by().values_list("outcome", flat=True).distinct())
    )


def audit_events_for(
    organisation: Organisation, filters: Mapping[str, Any]
) -> QuerySet[AuditEvent]:
    """The organisation's audit events, newest first, narrowed by the DPO's filters."""
    events = _trail_of(organisation).select_related("actor")
    if filters.get("user"):
        events = events.filter(actor__username__iexact=filters["user"])
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    if filters.get("outcome"):
        events = events.filter(outcome=filters["outcome"])
    if filters.get("since"):
        events = events.filter(occurred_at__date__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(occurred_at__date__lte=filters["until"])
    return events.order_by("-seq")


def applied_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """The filters a reader used, as plain strings for the ``audit.viewed`` event."""
    return {key: str(value) for key, value in filters.items() if value not in (None, "")}


def usernames_of_subjects(events: Iterable[AuditEvent]) -> dict[str, str]:
    """Usernames of the accounts that events of one trail are about (failed logins, roles)."""
    ids = {
        int(event.object_id)
        for event in events
        if event.object_type == "accounts.user" and event.object_id.isdigit()
    }
    return {
        str(pk): name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "username")
    }

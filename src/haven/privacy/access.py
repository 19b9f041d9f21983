"""Lookups of the audit trail, always inside one organisation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from haven.accounts.models import RoleAssignment, User
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent

# The audited changes of a user's roles in an organisation: what the staff periods below
# are read from.
ROLE_EVENTS = ("roles.changed", "invitation.accepted")


@dataclass(frozen=True)
class StaffPeriod:
    """A stretch of the trail during which a user held a role in the organisation: the
    events after ``after_seq`` (0: since before the trail knew of it), up to and with
    ``until_seq`` (None: still), and from ``since`` (a role given outside the trail)."""

    after_seq: int = 0
    until_seq: int | None = None
    since: datetime | None = None

    def reach(self) -> Q:
        bounds = Q(seq__gt=self.after_seq) if self.after_seq else Q()
        if self.until_seq is not None:
            bounds &= Q(seq__lte=self.until_seq)
        if self.since is not None:
            bounds &= Q(occurred_at__gte=self.since)
        return bounds


def _role_changes(details: Mapping[str, Any], key: str) -> set[str]:
    value = details.get(key)
    return {str(role) for role in value} if isinstance(value, list) else set()


def staff_periods(organisation: Organisation) -> dict[int, list[StaffPeriod]]:
    """Everyone who ever held a role in the organisation, with the stretches of the trail
    during which they did, read from the audited role changes and today's roles."""
    periods: dict[int, list[StaffPeriod]] = {}
    held: dict[int, set[str]] = {}
    opened: dict[int, int] = {}
    last_left: dict[int, int] = {}
    changes = (
        AuditEvent.unscoped.filter(organisation=organisation, action__in=ROLE_EVENTS)
        .order_by("seq")
        .values_list("seq", "action", "actor_id", "object_id", "details")
    )
    for seq, action, actor_id, object_id, details in changes:
        if action == "invitation.accepted":
            user_id, added, removed = actor_id, _role_changes(details, "roles"), set()
        elif object_id.isdecimal():
            user_id = int(object_id)
            added, removed = _role_changes(details, "added"), _role_changes(details, "removed")
        else:
            continue
        if user_id is None or not (added or removed):
            continue
        roles = held.setdefault(user_id, set())
        if user_id not in opened:
            # Taking away a role the trail never saw given: it was given outside it (the
            # first admin, the demo), some time after they last left.
            opened[user_id] = last_left.get(user_id, 0) if removed else seq
        roles |= added
        roles -= removed
        if not roles:
            periods.setdefault(user_id, []).append(StaffPeriod(opened.pop(user_id), seq))
            last_left[user_id] = seq
    since: dict[int, datetime] = {}
    for user_id, granted_at in RoleAssignment.objects.filter(organisation=organisation).values_list(
        "user_id", "granted_at"
    ):
        since[user_id] = min(granted_at, since.get(user_id, granted_at))
    for user_id, granted_at in since.items():
        if user_id in opened:
            periods.setdefault(user_id, []).append(StaffPeriod(opened.pop(user_id)))
        elif user_id in last_left:
            # Left, then given a role again outside the trail: staff since that role.
            periods[user_id].append(StaffPeriod(last_left[user_id], since=granted_at))
        else:
            periods[user_id] = [StaffPeriod()]
    # Roles the trail saw given that no longer exist were taken away outside it.
    for user_id, after_seq in opened.items():
        periods.setdefault(user_id, []).append(StaffPeriod(after_seq))
    return periods


def _account_events(user_ids: list[int]) -> Q:
    # Sign-ins and API tokens belong to an account, not to an organisation, yet a DPO must
    # see attacks on their own staff's accounts and the tokens that act in the organisation
    # with their roles: the one deliberate reach across the tenant scope, limited to auth.*
    # events (logins by them, failed logins against their accounts, password changes) and
    # api_token.* events (tokens they made or revoked). No other organisation's object is
    # ever named by these.
    sign_ins = Q(action__startswith="auth.") & (
        Q(actor_id__in=user_ids)
        | Q(object_type="accounts.user", object_id__in=[str(pk) for pk in user_ids])
    )
    tokens = Q(action__startswith="api_token.", actor_id__in=user_ids)
    return Q(organisation__isnull=True) & (sign_ins | tokens)


def _trail_of(organisation: Organisation) -> QuerySet[AuditEvent]:
    # Each account's events are shown from the time it held a role here, and still after
    # it left (did they make a token before leaving?), but never from its time elsewhere.
    reach = Q(organisation=organisation)
    throughout: list[int] = []
    for user_id, periods in staff_periods(organisation).items():
        if periods == [StaffPeriod()]:
            throughout.append(user_id)
            continue
        for period in periods:
            reach |= _account_events([user_id]) & period.reach()
    if throughout:
        reach |= _account_events(throughout)
    return AuditEvent.unscoped.filter(reach)


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
        if event.object_type == "accounts.user" and event.object_id.isdecimal()
    }
    return {
        str(pk): name for pk, name in User.objects.filter(pk__in=ids).values_list("pk", "username")
    }

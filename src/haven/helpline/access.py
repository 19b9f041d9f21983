"""Lookups of helpline calls, always inside one organisation; anything else is 404.

Opening one call shows its notes, so that read is audited here; lists show no notes
and are audited once each by the page or API operation that shows them.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scope

from haven.casework import access as casework_access
from haven.helpline.models import CallChannel, CallerType, CallTopic, HelplineCall
from haven.privacy import audit

if TYPE_CHECKING:
    from haven.accounts.models import User
    from haven.accounts.tenancy import OrganisationRequest
    from haven.casework.models import Person
    from haven.organisations.models import Organisation


def _as_uuid(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value)[:64])
    except ValueError:
        raise Http404 from None


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The first instant of ``day`` and of the next day, in the current time zone."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def calls_of(organisation: Organisation) -> QuerySet[HelplineCall]:
    """The organisation's calls, latest first, with their person and operator."""
    with scope(organisation=organisation):
        return (
            HelplineCall.objects.filter(organisation=organisation)
            .select_related("person", "operator")
            .order_by("-started_at", "-created_at")
        )


def call_in(organisation: Organisation, call_id: uuid.UUID | str) -> HelplineCall:
    """One of the organisation's calls, not audited (for actions), or 404."""
    call = calls_of(organisation).filter(pk=_as_uuid(call_id)).first()
    if call is None:
        raise Http404
    return call


def call_for(request: OrganisationRequest, call_id: uuid.UUID | str) -> HelplineCall:
    """One of the request's organisation's calls, its read (notes included) audited, or 404."""
    call = call_in(request.organisation, call_id)
    audit.record(
        "helpline_call.viewed",
        actor=request.user,
        organisation=request.organisation,
        target=call,
        request=request,
    )
    return call


def record_listing(
    request: OrganisationRequest, count: int, about: uuid.UUID | str | None = None
) -> None:
    """One audit event for a list of calls: the count, and the person it was filtered to."""
    casework_access.record_listing(request, "helpline_call.listed", count, about=about)


def calls_on(
    organisation: Organisation, day: datetime.date, operator: User | None = None
) -> QuerySet[HelplineCall]:
    """Calls started on ``day`` (by ``operator`` if given), latest first."""
    start, end = day_bounds(day)
    calls = calls_of(organisation).filter(started_at__gte=start, started_at__lt=end)
    if operator is not None:
        calls = calls.filter(operator=operator)
    return calls


def calls_for_person(organisation: Organisation, person: Person) -> QuerySet[HelplineCall]:
    """Calls linked to one person, latest first."""
    return calls_of(organisation).filter(person_id=person.pk)


def follow_ups_due(organisation: Organisation, on_date: datetime.date) -> QuerySet[HelplineCall]:
    """Calls with an open follow-up dated on or before ``on_date``, oldest first."""
    return (
        calls_of(organisation)
        .filter(follow_up_done=False, follow_up_on__isnull=False, follow_up_on__lte=on_date)
        .order_by("follow_up_on", "started_at")
    )


@dataclass(frozen=True)
class CallCounts:
    """How many calls since a moment, in all and by channel, caller type and outcome."""

    total: int
    linked: int
    by_channel: dict[str, int] = field(default_factory=dict)
    by_caller_type: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)

    @property
    def anonymous(self) -> int:
        return self.total - self.linked


def count_since(organisation: Organisation, since: datetime.datetime) -> int:
    """How many calls started at or after ``since`` (one indexed count)."""
    with scope(organisation=organisation):
        return calls_of(organisation).filter(started_at__gte=since).count()


def _grouped(calls: QuerySet[HelplineCall], name: str) -> dict[str, int]:
    rows = calls.order_by().values_list(name).annotate(n=Count("pk"))
    return {str(value): int(n) for value, n in rows}


def call_counts(organisation: Organisation, since: datetime.datetime) -> CallCounts:
    """Counts of the calls started at or after ``since``, computed in the database."""
    calls = calls_of(organisation).filter(started_at__gte=since)
    by_channel = _grouped(calls, "channel")
    with scope(organisation=organisation):
        linked = calls.filter(person__isnull=False).count()
    return CallCounts(
        total=sum(by_channel.values()),
        linked=linked,
        by_channel=by_channel,
        by_caller_type=_grouped(calls, "caller_type"),
        by_outcome=_grouped(calls, "outcome"),
    )


def topic_counts(calls: QuerySet[HelplineCall]) -> Counter[str]:
    """How often each topic comes up among ``calls`` (a call may have several)."""
    counter: Counter[str] = Counter()
    for topics in calls.order_by().values_list("topics", flat=True):
        counter.update(str(topic) for topic in topics or [])
    return counter


@dataclass(frozen=True)
class CallFilters:
    """What the list of calls may be narrowed to; empty values mean no filter."""

    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    channel: str = ""
    caller_type: str = ""
    topic: str = ""
    outcome: str = ""
    operator_id: int | None = None
    follow_up: str = ""  # "", "due", "open" or "done"
    person_id: uuid.UUID | None = None


def filtered_calls(organisation: Organisation, filters: CallFilters) -> QuerySet[HelplineCall]:
    """The organisation's calls narrowed by ``filters``, latest first."""
    calls = calls_of(organisation)
    if filters.date_from is not None:
        calls = calls.filter(started_at__gte=day_bounds(filters.date_from)[0])
    if filters.date_to is not None:
        calls = calls.filter(started_at__lt=day_bounds(filters.date_to)[1])
    if filters.channel:
        calls = calls.filter(channel=filters.channel)
    if filters.caller_type:
        calls = calls.filter(caller_type=filters.caller_type)
    if filters.topic:
        # JSON containment is not on SQLite; the exact quoted value cannot match a longer code.
        calls = calls.filter(topics__icontains=f'"{filters.topic}"')
    if filters.outcome:
        calls = calls.filter(outcome=filters.outcome)
    if filters.operator_id is not None:
        calls = calls.filter(operator_id=filters.operator_id)
    if filters.person_id is not None:
        calls = calls.filter(person_id=filters.person_id)
    if filters.follow_up == "due":
        calls = calls.filter(
            follow_up_done=False,
            follow_up_on__isnull=False,
            follow_up_on__lte=timezone.localdate(),
        )
    elif filters.follow_up == "open":
        calls = calls.filter(follow_up_done=False, follow_up_on__isnull=False)
    elif filters.follow_up == "done":
        calls = calls.filter(follow_up_done=True)
    return calls


def person_by_code(organisation: Organisation, code: str) -> Person | None:
    """The organisation's person with this pseudonymous code (any case), or None."""
    from haven.casework.access import persons_of

    with scope(organisation=organisation):
        return persons_of(organisation).filter(code__iexact=code.strip()).first()


# Coalition statistics: numbers only (see casework.access for the person counts).


def _calls_between(
    members: Sequence[int], start: datetime.date, end: datetime.date
) -> QuerySet[HelplineCall]:
    with scope(organisation=list(members)):
        return HelplineCall.objects.filter(
            organisation_id__in=members,
            started_at__gte=day_bounds(start)[0],
            started_at__lt=day_bounds(end)[1],
        )


def called_filter(members: Sequence[int], start: datetime.date, end: datetime.date) -> Q:
    """Persons with a helpline call linked to them from ``start`` to ``end``."""
    linked = _calls_between(members, start, end).filter(person__isnull=False)
    return Q(pk__in=linked.values("person_id"))


@dataclass(frozen=True)
class CallFigures:
    """Calls of a period by channel, caller type and topic (a call may have several topics)."""

    total: int
    by_channel: dict[str, int]
    by_caller_type: dict[str, int]
    by_topic: dict[str, int]
    # Calls linked to a person without statistics consent: not counted anywhere.
    left_out: int


def call_figures(
    members: Sequence[int], start: datetime.date, end: datetime.date
) -> dict[int, CallFigures]:
    """Calls from ``start`` to ``end`` counted for coalition statistics, member by member,
    in one query."""
    from haven.casework.access import statistics_consent

    calls = _calls_between(members, start, end).order_by()
    # An anonymous call counts, unless it was unlinked from someone who refused (decision 43;
    # the flag its own conjunct, as in services.access.service_figures).
    counted = Q(left_out_of_statistics=False) & (
        Q(person__isnull=True) | statistics_consent(members, "person_id")
    )
    # Consent is one grouping column, evaluated once per call; in each FILTER below it
    # would be evaluated once per aggregate.
    aggregates: dict[str, Any] = {"total": Count("pk")}
    for value in CallChannel.values:
        aggregates[f"channel:{value}"] = Count("pk", filter=Q(channel=value))
    for value in CallerType.values:
        aggregates[f"caller:{value}"] = Count("pk", filter=Q(caller_type=value))
    for value in CallTopic.values:
        # As in filtered_calls: the quoted code cannot match a longer one.
        aggregates[f"topic:{value}"] = Count("pk", filter=Q(topics__icontains=f'"{value}"'))
    grouped: dict[int, dict[bool, dict[str, Any]]] = {member: {} for member in members}
    with scope(organisation=list(members)):
        for found in (
            calls.annotate(kept=ExpressionWrapper(counted, output_field=BooleanField()))
            .values("organisation_id", "kept")
            .annotate(**aggregates)
        ):
            grouped[found.pop("organisation_id")][bool(found.pop("kept"))] = found
    return {member: _call_figures(rows, aggregates) for member, rows in grouped.items()}


def _call_figures(grouped: dict[bool, dict[str, Any]], aggregates: dict[str, Any]) -> CallFigures:
    row = grouped.get(True) or dict.fromkeys(aggregates, 0)

    def part(prefix: str) -> dict[str, int]:
        return {
            key.split(":", 1)[1]: int(n) for key, n in row.items() if key.startswith(prefix) and n
        }

    return CallFigures(
        total=int(row["total"]),
        by_channel=part("channel:"),
        by_caller_type=part("caller:"),
        by_topic=part("topic:"),
        left_out=int((grouped.get(False) or {}).get("total", 0)),
    )

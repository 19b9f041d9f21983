"""What the caseworker's screens read: the home page's lists and a person's timeline.

Everything here is inside one organisation. The person page's single audit event comes
from ``haven.casework.access.person_for``; this module never audits a person read
itself, so a page never records two. The home page lists cases by pseudonymous code
and records one ``person.listed`` event with the count.

The timeline merges five sources (services to the person or their household, case
notes, helpline calls, shelter stays, consent events). Each source is asked for at most
one page of items older than the cursor, so a page costs the same few queries whatever
the length of the history, and the sources are merged in Python.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.casework.access import OPEN_STATUSES
from haven.casework.htcds import CaseStatus
from haven.casework.models import Case, CaseNote, Consent, Person, RiskLevel
from haven.helpline.models import CallChannel, CallTopic, HelplineCall
from haven.privacy import audit
from haven.services.access import service_label, service_label_of
from haven.services.models import ServiceDelivery
from haven.shelter.models import Facility, Stay

if TYPE_CHECKING:
    from haven.accounts.models import User
    from haven.accounts.tenancy import OrganisationRequest
    from haven.organisations.models import Organisation

PAGE_SIZE = 50
HOME_LIST_SIZE = 20
# Lists name persons by code only: loading their encrypted columns would be wasted work.
PERSON_CODE_ONLY = ("person__id", "person__code", "person__organisation_id")
RECENT_SIZE = 10

# Timeline kinds. A cursor names one of them, so they are part of the API.
SERVICE = "service"
NOTE = "note"
CALL = "call"
STAY = "stay"
CONSENT_GIVEN = "consent_given"
CONSENT_WITHDRAWN = "consent_withdrawn"
KINDS = (SERVICE, NOTE, CALL, STAY, CONSENT_GIVEN, CONSENT_WITHDRAWN)
_EARLIEST = datetime.datetime.min.replace(tzinfo=datetime.UTC)


# Home


@dataclass(frozen=True)
class Occupancy:
    facility: Facility
    beds_used: int
    family_rooms_used: int

    @property
    def beds_free(self) -> int:
        return max(self.facility.beds - self.beds_used, 0)

    @property
    def family_rooms_free(self) -> int:
        return max(self.facility.family_rooms - self.family_rooms_used, 0)


def stays_on(day: datetime.date) -> Q:
    """Stays (seen from their facility) that include the night of ``day``."""
    return Q(stays__starts_on__lte=day) & (
        Q(stays__ends_on__isnull=True) | Q(stays__ends_on__gt=day)
    )


def occupancy_on(organisation: Organisation, day: datetime.date) -> list[Occupancy]:
    """Beds and family rooms in use per active facility on ``day``, in one query."""
    in_use = stays_on(day)
    facilities = (
        Facility.objects.filter(organisation=organisation, active=True)
        .annotate(
            beds_taken=Sum(
                F("stays__accompanying") + 1, filter=in_use & Q(stays__family_room=False)
            ),
            rooms_taken=Count("stays", filter=in_use & Q(stays__family_room=True)),
        )
        .order_by("name")
    )
    return [
        Occupancy(facility, int(facility.beds_taken or 0), int(facility.rooms_taken or 0))
        for facility in facilities
    ]


@dataclass(frozen=True)
class CaseLine:
    """An open case as the home lists it: the person by code only."""

    id: uuid.UUID
    person_id: uuid.UUID
    person_code: str
    status: str
    risk_level: str
    opened_on: datetime.date
    follow_up_on: datetime.date | None
    assigned_to_id: int | None

    @property
    def status_label(self) -> str:
        return str(CaseStatus(self.status).label) if self.status in CaseStatus else self.status

    @property
    def risk_label(self) -> str:
        return str(RiskLevel(self.risk_level).label) if self.risk_level in RiskLevel else ""


@dataclass(frozen=True)
class CallLine:
    """A helpline call whose follow-up is due, its person (if any) by code only."""

    id: uuid.UUID
    person_id: uuid.UUID | None
    person_code: str | None
    started_at: datetime.datetime
    follow_up_on: datetime.date | None


# The home reads plain values: it never needs a model object, let alone a person's
# encrypted columns.
_CASE_LINE = (
    "id",
    "person_id",
    "person__code",
    "status",
    "risk_level",
    "opened_on",
    "follow_up_on",
    "assigned_to_id",
)


def my_open_cases(organisation: Organisation, user: User) -> list[CaseLine]:
    """The user's open cases, soonest follow-up first (one page)."""
    cases = Case.objects.filter(
        organisation=organisation, assigned_to=user, status__in=OPEN_STATUSES
    ).order_by(F("follow_up_on").asc(nulls_last=True), "-opened_on")
    return [CaseLine(*values) for values in cases.values_list(*_CASE_LINE)[:HOME_LIST_SIZE]]


def cases_due(organisation: Organisation, user: User, day: datetime.date) -> list[CaseLine]:
    """Open cases of the user, or of no one, whose follow-up falls on or before ``day``."""
    cases = (
        Case.objects.filter(
            organisation=organisation,
            status__in=OPEN_STATUSES,
            follow_up_on__lte=day,
        )
        .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
        .order_by("follow_up_on")
    )
    return [CaseLine(*values) for values in cases.values_list(*_CASE_LINE)[:HOME_LIST_SIZE]]


def calls_due(organisation: Organisation, day: datetime.date) -> list[CallLine]:
    """Helpline calls whose follow-up is due on or before ``day`` and not done."""
    calls = HelplineCall.objects.filter(
        organisation=organisation, follow_up_done=False, follow_up_on__lte=day
    ).order_by("follow_up_on", "started_at")
    values = calls.values_list("id", "person_id", "person__code", "started_at", "follow_up_on")
    return [CallLine(*row) for row in values[:HOME_LIST_SIZE]]


@dataclass(frozen=True)
class Activity:
    kind: str
    at: datetime.datetime
    person_id: uuid.UUID | None
    person_code: str | None
    label: str


def recent_activity(organisation: Organisation, user: User) -> list[Activity]:
    """The user's latest services, notes and calls, newest first."""
    services = (
        ServiceDelivery.objects.filter(organisation=organisation, staff=user)
        # By day first: the (organisation, -delivered_on) index then finds them at once.
        .order_by("-delivered_on", "-created_at")
        .values_list(
            "created_at",
            "person_id",
            "person__code",
            "service_type__organisation_id",
            "service_type__code",
            "service_type__name",
        )[:RECENT_SIZE]
    )
    notes = (
        CaseNote.objects.filter(organisation=organisation, author=user)
        .order_by("-written_at")
        .values_list("written_at", "case__person_id", "case__person__code")[:RECENT_SIZE]
    )
    calls = (
        HelplineCall.objects.filter(organisation=organisation, operator=user)
        .order_by("-started_at")
        .values_list("started_at", "person_id", "person__code", "channel")[:RECENT_SIZE]
    )
    items = [
        Activity(SERVICE, at, person_id, code, service_label_of(owner, service_code, name))
        for at, person_id, code, owner, service_code, name in services
    ]
    note_label = _("Case note")
    items += [Activity(NOTE, at, person_id, code, note_label) for at, person_id, code in notes]
    channels = dict(CallChannel.choices)
    items += [
        Activity(CALL, at, person_id, code, str(channels.get(channel, channel)))
        for at, person_id, code, channel in calls
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:RECENT_SIZE]


def record_home_listing(request: OrganisationRequest, count: int) -> None:
    """One audit event for the persons the home page lists, with the count only."""
    audit.record(
        "person.listed",
        actor=request.user,
        organisation=request.organisation,
        details={"count": count, "view": "work_home"},
        request=request,
    )


@dataclass(frozen=True)
class Home:
    today: datetime.date
    my_cases: list[CaseLine]
    due_cases: list[CaseLine]
    due_calls: list[CallLine]
    occupancy: list[Occupancy]
    recent: list[Activity]


def home_for(request: OrganisationRequest) -> Home:
    """Everything the caseworker's home shows; its listing of persons is audited once."""
    organisation, user = request.organisation, request.user
    today = timezone.localdate()
    my_cases = my_open_cases(organisation, user)
    due_cases = cases_due(organisation, user, today)
    due_calls = calls_due(organisation, today) if "helpline.log_call" in request.permissions else []
    recent = recent_activity(organisation, user)
    listed = {case.person_id for case in (*my_cases, *due_cases)}
    listed |= {call.person_id for call in due_calls if call.person_id}
    listed |= {item.person_id for item in recent if item.person_id is not None}
    record_home_listing(request, len(listed))
    return Home(today, my_cases, due_cases, due_calls, occupancy_on(organisation, today), recent)


# Timeline


@dataclass(frozen=True)
class Cursor:
    """A position in a timeline: items strictly older than it come next."""

    day: datetime.date
    moment: datetime.datetime | None
    kind: str
    id: str

    def encode(self) -> str:
        moment = self.moment.astimezone(datetime.UTC).isoformat() if self.moment else ""
        return f"{self.day.isoformat()}~{moment}~{self.kind}~{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """Read a cursor made by ``encode``; anything else is a ValidationError."""
        problem = ValidationError(
            _("This link to older items is damaged; start again from the newest."),
            code="bad_cursor",
        )
        parts = raw.split("~") if len(raw) <= 120 else []
        if len(parts) != 4 or parts[2] not in KINDS or not 0 < len(parts[3]) <= 36:
            raise problem
        try:
            day = datetime.date.fromisoformat(parts[0])
            moment = datetime.datetime.fromisoformat(parts[1]) if parts[1] else None
        except ValueError:
            raise problem from None
        if moment is not None and moment.tzinfo is None:
            raise problem
        return cls(day, moment, parts[2], parts[3])


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to a person; ``moment`` is None for things known by day."""

    kind: str
    day: datetime.date
    moment: datetime.datetime | None
    id: str
    obj: Any = field(compare=False)

    @property
    def sort_key(self) -> tuple[datetime.date, int, datetime.datetime, str, str]:
        # Within a day, timed items come first (newest first), then those known by day.
        return (self.day, self.moment is not None, self.moment or _EARLIEST, self.kind, self.id)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.day, self.moment, self.kind, self.id)

    @property
    def service_name(self) -> str:
        return service_label(self.obj.service_type) if self.kind == SERVICE else ""

    @property
    def call_topics(self) -> list[str]:
        if self.kind != CALL:
            return []
        labels = dict(CallTopic.choices)
        return [str(labels.get(topic, topic)) for topic in self.obj.topics]


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: Cursor | None
    # Every consent of the person, newest first (read anyway for the consent events).
    consents: list[Consent]


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _older_by_day(field_name: str, kind: str, cursor: Cursor | None, id_field: str = "pk") -> Q:
    """Items known by day that sort after (are older than) the cursor."""
    if cursor is None:
        return Q()
    if cursor.moment is not None:
        return Q(**{f"{field_name}__lte": cursor.day})
    same_day = Q(**{field_name: cursor.day})
    if kind < cursor.kind:
        tie = same_day
    elif kind > cursor.kind:
        tie = Q(pk__in=[])
    else:
        tie = same_day & Q(**{f"{id_field}__lt": cursor.id})
    return Q(**{f"{field_name}__lt": cursor.day}) | tie


def _older_by_moment(field_name: str, kind: str, cursor: Cursor | None) -> Q:
    """Timed items that sort after (are older than) the cursor."""
    if cursor is None:
        return Q()
    if cursor.moment is None:
        return Q(**{f"{field_name}__lt": _start_of(cursor.day)})
    before = Q(**{f"{field_name}__lt": cursor.moment})
    same = Q(**{field_name: cursor.moment})
    if kind < cursor.kind:
        return before | same
    if kind > cursor.kind:
        return before
    return before | (same & Q(pk__lt=cursor.id))


def _cursor_id(cursor: Cursor | None) -> Cursor | None:
    # Ids of timeline rows are UUIDs; a cursor naming anything else matches nothing.
    if cursor is None:
        return None
    try:
        return Cursor(cursor.day, cursor.moment, cursor.kind, str(uuid.UUID(cursor.id)))
    except ValueError:
        raise ValidationError(
            _("This link to older items is damaged; start again from the newest."),
            code="bad_cursor",
        ) from None


def _timed(kind: str, moment: datetime.datetime, obj: CaseNote | HelplineCall) -> TimelineItem:
    return TimelineItem(kind, _local_day(moment), moment, obj.pk.hex, obj)


def services_of(person: Person) -> QuerySet[ServiceDelivery]:
    """Services given to the person or to their household."""
    reached = Q(person_id=person.pk)
    if person.household_id is not None:
        reached |= Q(household_id=person.household_id)
    return ServiceDelivery.objects.filter(reached, organisation_id=person.organisation_id)


def timeline(
    person: Person, *, before: Cursor | None = None, size: int = PAGE_SIZE
) -> TimelinePage:
    """One page of the person's history, newest first, older than ``before``."""
    cursor = _cursor_id(before)
    organisation_id = person.organisation_id
    services = (
        services_of(person)
        .filter(_older_by_day("delivered_on", SERVICE, cursor))
        .select_related("service_type", "staff")
        .order_by("-delivered_on", "-id")[: size + 1]
    )
    notes = (
        CaseNote.objects.filter(organisation_id=organisation_id, case__person_id=person.pk)
        .filter(_older_by_moment("written_at", NOTE, cursor))
        .select_related("author")
        .order_by("-written_at", "-id")[: size + 1]
    )
    calls = (
        HelplineCall.objects.filter(organisation_id=organisation_id, person_id=person.pk)
        .filter(_older_by_moment("started_at", CALL, cursor))
        .select_related("operator")
        .defer("notes")
        .order_by("-started_at", "-id")[: size + 1]
    )
    stays = (
        Stay.objects.filter(organisation_id=organisation_id, person_id=person.pk)
        .filter(_older_by_day("starts_on", STAY, cursor))
        .select_related("facility")
        .order_by("-starts_on", "-id")[: size + 1]
    )
    # A person has a handful of consents: read them all, make two events of each.
    consents = list(
        Consent.objects.filter(organisation_id=organisation_id, person_id=person.pk)
        .select_related("recipient", "recorded_by", "withdrawn_by")
        .order_by("-given_on")
    )
    items = [TimelineItem(SERVICE, s.delivered_on, None, s.pk.hex, s) for s in services]
    items += [_timed(NOTE, note.written_at, note) for note in notes]
    items += [_timed(CALL, call.started_at, call) for call in calls]
    items += [TimelineItem(STAY, s.starts_on, None, s.pk.hex, s) for s in stays]
    for consent in consents:
        items.append(TimelineItem(CONSENT_GIVEN, consent.given_on, None, consent.pk.hex, consent))
        if consent.withdrawn_on is not None:
            items.append(
                TimelineItem(CONSENT_WITHDRAWN, consent.withdrawn_on, None, consent.pk.hex, consent)
            )
    if cursor is not None:
        # Cursor ids are compared in the same form the items carry (hex).
        limit = Cursor(cursor.day, cursor.moment, cursor.kind, uuid.UUID(cursor.id).hex)
        limit_key = TimelineItem(limit.kind, limit.day, limit.moment, limit.id, None).sort_key
        items = [item for item in items if item.sort_key < limit_key]
    items.sort(key=lambda item: item.sort_key, reverse=True)
    page = items[:size]
    more = len(items) > size
    return TimelinePage(page, page[-1].cursor if more and page else None, consents)


def open_case_of(person: Person) -> Case | None:
    """The person's most recent open case, if any."""
    return (
        Case.objects.filter(
            organisation_id=person.organisation_id, person_id=person.pk, status__in=OPEN_STATUSES
        )
        .select_related("assigned_to")
        .order_by("-opened_on", "-created_at")
        .first()
    )


def household_size(person: Person) -> int:
    """People in the person's household: members with a record and those counted only."""
    household = person.household
    if household is None:
        return 1
    members = Person.objects.filter(
        organisation_id=person.organisation_id, household_id=household.pk
    ).count()
    return members + household.other_members


def can_read_notes(permissions: frozenset[str]) -> bool:
    """Case note texts are for the people doing casework (caseworkers, the DPO)."""
    return "casework.edit" in permissions or "casework.view_identity" in permissions

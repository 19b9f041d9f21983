"""Lookups of shelters and stays, always inside one organisation; anything else is 404.

Occupancy is counted by the database: each figure is an aggregate over the stays that
overlap the nights asked for, never a walk through every stay ever recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    UUIDField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.http import Http404
from django_scopes import scope

from haven.casework.models import Person
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.services import access as services_access
from haven.shelter.models import Facility, Stay

if TYPE_CHECKING:
    from haven.accounts.tenancy import OrganisationRequest

# The longest range the occupancy API and grid answer for, in nights.
MAX_RANGE_NIGHTS = 92


@dataclass(frozen=True)
class Night:
    """How full one facility is on one night."""

    night: date
    beds_used: int
    beds: int
    family_rooms_used: int
    family_rooms: int

    @property
    def beds_free(self) -> int:
        return self.beds - self.beds_used

    @property
    def full(self) -> bool:
        return self.beds_used >= self.beds and self.family_rooms_used >= self.family_rooms


@dataclass(frozen=True)
class MonthNights:
    """Nights spent in the organisation's shelters during one month."""

    month: date
    nights: int
    people_nights: int
    households: int


@dataclass(frozen=True)
class StayFilters:
    """What a stay list is narrowed to; empty values mean "any"."""

    facility_id: int | None = None
    person_code: str = ""
    on: date | None = None
    status: str = ""  # "", "current", "upcoming" or "past", as of ``today``
    today: date | None = None


def _uuid_or_none(value: object) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def on_night(night: date, prefix: str = "") -> Q:
    """Stays that occupy ``night`` (the night from that evening to the next morning)."""
    return Q(**{f"{prefix}starts_on__lte": night}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": night})
    )


def overlapping(start: date, end: date | None, prefix: str = "") -> Q:
    """Stays that occupy at least one night from ``start`` up to (not including) ``end``."""
    q = Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": start})
    if end is not None:
        q &= Q(**{f"{prefix}starts_on__lt": end})
    return q


class _DaysBetween(Func):
    """Whole days from the second date to the first, computed by the database."""

    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(Cast(end, DateField()), Cast(start, DateField()))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def facilities_of(
    organisation: Organisation, *, include_inactive: bool = False
) -> QuerySet[Facility]:
    """The organisation's facilities, by name; only those in use unless asked."""
    facilities = Facility.objects.filter(organisation=organisation)
    if not include_inactive:
        facilities = facilities.filter(active=True)
    return facilities.order_by("name", "pk")


def facility_for(organisation: Organisation, facility_id: int) -> Facility:
    """One of the organisation's facilities, in use or not, or 404."""
    facility = Facility.objects.filter(organisation=organisation, pk=facility_id).first()
    if facility is None:
        raise Http404
    return facility


def stay_for(organisation: Organisation, stay_id: object) -> Stay:
    """One of the organisation's stays, with its facility and person, or 404."""
    pk = _uuid_or_none(stay_id)
    stay = (
        Stay.objects.select_related("facility", "person")
        .filter(organisation=organisation, pk=pk)
        .first()
        if pk is not None
        else None
    )
    if stay is None:
        raise Http404
    return stay


def person_by_code(organisation: Organisation, code: str) -> Person | None:
    """The organisation's person with this code (case does not matter), or None."""
    # The same lookup as a service's, so a code typed in lower case finds them here too.
    return services_access.person_by_code(organisation, code)


def record_stay_listing(
    request: OrganisationRequest, stays: Iterable[Stay], where: str, person_code: str = ""
) -> None:
    """Audit a list of stays: how many persons it showed (by code only), and the person it
    was narrowed to, so that "who read this person's history?" finds it, even when empty."""
    # A stay whose person was erased shows nobody.
    count = len({stay.person_id for stay in stays if stay.person_id is not None})
    about = person_by_code(request.organisation, person_code) if person_code.strip() else None
    if count or about is not None:
        audit.record(
            "person.listed",
            actor=request.user,
            organisation=request.organisation,
            target=about,
            details={"count": count, "page": where, "identity": False},
            request=request,
        )


def stays_of(organisation: Organisation, filters: StayFilters | None = None) -> QuerySet[Stay]:
    """The organisation's stays narrowed by ``filters``, latest arrival first."""
    filters = filters or StayFilters()
    stays = Stay.objects.filter(organisation=organisation).select_related("facility", "person")
    if filters.facility_id is not None:
        stays = stays.filter(facility_id=filters.facility_id)
    if filters.person_code.strip():
        person = person_by_code(organisation, filters.person_code)
        stays = stays.filter(person=person) if person is not None else stays.none()
    if filters.on is not None:
        stays = stays.filter(on_night(filters.on))
    if filters.status:
        today = filters.today or date.today()
        if filters.status == "current":
            stays = stays.filter(on_night(today))
        elif filters.status == "upcoming":
            stays = stays.filter(starts_on__gt=today)
        elif filters.status == "past":
            stays = stays.filter(ends_on__lte=today)
    return stays.order_by("-starts_on", "facility__name", "person__code")


def stays_for_person(organisation: Organisation, person: Person) -> QuerySet[Stay]:
    """Every stay of one person in the organisation's shelters, latest first."""
    if person.organisation_id != organisation.pk:
        raise Http404
    return (
        Stay.objects.filter(organisation=organisation, person=person)
        .select_related("facility")
        .order_by("-starts_on")
    )


def staying_on(organisation: Organisation, night: date) -> QuerySet[Stay]:
    """Stays occupying ``night``, by facility and person code."""
    return (
        Stay.objects.filter(organisation=organisation, facility__active=True)
        .filter(on_night(night))
        .select_related("facility", "person")
        .order_by("facility__name", "person__code")
    )


def arriving_on(organisation: Organisation, day: date) -> QuerySet[Stay]:
    """Stays that begin on ``day``."""
    return (
        Stay.objects.filter(organisation=organisation, starts_on=day)
        .select_related("facility", "person")
        .order_by("facility__name", "person__code")
    )


def leaving_on(organisation: Organisation, day: date) -> QuerySet[Stay]:
    """Stays whose guests leave on the morning of ``day``."""
    return (
        Stay.objects.filter(organisation=organisation, ends_on=day)
        .select_related("facility", "person")
        .order_by("facility__name", "person__code")
    )


def _party(prefix: str = "") -> Any:
    return ExpressionWrapper(F(f"{prefix}accompanying") + 1, output_field=IntegerField())


def _households(among: Q | None = None) -> Any:
    """How many households the stays ``among`` sheltered: each person once, an erased one
    too (their stays share an anonymous guest)."""
    guest = Coalesce("person_id", "anonymous_guest", output_field=UUIDField())
    return Count(guest, filter=among, distinct=True)


def nightly_occupancy(
    organisation: Organisation,
    start: date,
    nights: int,
    facilities: Sequence[Facility] | None = None,
) -> dict[int, list[Night]]:
    """For each facility (those in use unless given), its occupancy on each night from ``start``."""
    if not 1 <= nights <= MAX_RANGE_NIGHTS:
        raise ValueError(f"between 1 and {MAX_RANGE_NIGHTS} nights")
    chosen = list(facilities) if facilities is not None else list(facilities_of(organisation))
    end = start + timedelta(days=nights)
    aggregates: dict[str, Any] = {}
    for index in range(nights):
        night = on_night(start + timedelta(days=index))
        aggregates[f"b{index}"] = Coalesce(
            Sum(_party(), filter=night & Q(family_room=False)), Value(0)
        )
        aggregates[f"r{index}"] = Count("pk", filter=night & Q(family_room=True))
    rows = {
        row["facility_id"]: row
        for row in Stay.objects.filter(
            organisation=organisation, facility__in=[f.pk for f in chosen]
        )
        .filter(overlapping(start, end))
        .values("facility_id")
        .annotate(**aggregates)
        .order_by()
    }
    result: dict[int, list[Night]] = {}
    for facility in chosen:
        row = rows.get(facility.pk, {})
        result[facility.pk] = [
            Night(
                night=start + timedelta(days=index),
                beds_used=int(row.get(f"b{index}", 0)),
                beds=facility.beds,
                family_rooms_used=int(row.get(f"r{index}", 0)),
                family_rooms=facility.family_rooms,
            )
            for index in range(nights)
        ]
    return result


def occupancy_on(
    organisation: Organisation, night: date
) -> list[tuple[Facility, int, int, int, int]]:
    """Each facility in use: (facility, beds used, beds, family rooms used, family rooms)."""
    facilities = list(facilities_of(organisation))
    by_facility = nightly_occupancy(organisation, night, 1, facilities)
    result = []
    for facility in facilities:
        tonight = by_facility[facility.pk][0]
        result.append(
            (
                facility,
                tonight.beds_used,
                facility.beds,
                tonight.family_rooms_used,
                facility.family_rooms,
            )
        )
    return result


def _month_starts(start: date, end: date) -> list[date]:
    months = []
    month = start.replace(day=1)
    while month < end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def months_back(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    first = today.replace(day=1)
    for _index in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _nights_in(first: date, following: date) -> tuple[Q, Any]:
    """Stays with a night from ``first`` up to ``following``, and how many nights each has."""
    first_value = Value(first, output_field=DateField())
    following_value = Value(following, output_field=DateField())
    nights = _DaysBetween(
        Least(Coalesce(F("ends_on"), following_value), following_value),
        Greatest(F("starts_on"), first_value),
    )
    return overlapping(first, following), nights


def nights_by_month(organisation: Organisation, start: date, end: date) -> list[MonthNights]:
    """Nights spent from ``start`` up to (not including) ``end``, month by month."""
    if end <= start:
        return []
    months = _month_starts(start, end)
    aggregates: dict[str, Any] = {}
    for index, month in enumerate(months):
        first = max(month, start)
        following = min((month + timedelta(days=32)).replace(day=1), end)
        in_month, nights = _nights_in(first, following)
        aggregates[f"n{index}"] = Coalesce(Sum(nights, filter=in_month), Value(0))
        aggregates[f"p{index}"] = Coalesce(
            Sum(
                ExpressionWrapper(nights * _party(), output_field=IntegerField()),
                filter=in_month,
            ),
            Value(0),
        )
        aggregates[f"h{index}"] = _households(in_month)
    totals = Stay.objects.filter(organisation=organisation).filter(overlapping(start, end))
    row = totals.aggregate(**aggregates)
    return [
        MonthNights(
            month=month,
            nights=int(row[f"n{index}"]),
            people_nights=int(row[f"p{index}"]),
            households=int(row[f"h{index}"]),
        )
        for index, month in enumerate(months)
    ]


def households_sheltered(organisation: Organisation, start: date, end: date) -> int:
    """How many persons (each with their household) stayed any night in the period."""
    if end <= start:
        return 0
    counted = (
        Stay.objects.filter(organisation=organisation)
        .filter(overlapping(start, end))
        .aggregate(households=_households())
    )
    return int(counted["households"])


def stays_overlapping(
    facility: Facility, start: date, end: date | None, *, excluding: Iterable[object] = ()
) -> list[tuple[date, date | None, int, bool]]:
    """(arrives, leaves, accompanying, family room) of the facility's stays in the period."""
    return list(
        Stay.objects.filter(organisation_id=facility.organisation_id, facility=facility)
        .filter(overlapping(start, end))
        .exclude(pk__in=list(excluding))
        .values_list("starts_on", "ends_on", "accompanying", "family_room")
    )


# Coalition statistics: numbers only (see casework.access for the person counts).


def sheltered_filter(members: Sequence[int], start: date, end: date) -> Q:
    """Persons who spent at least one night from ``start`` to ``end`` in a shelter."""
    with scope(organisation=list(members)):
        stays = Stay.objects.filter(organisation_id__in=members)
    return Q(pk__in=stays.filter(overlapping(start, end + timedelta(days=1))).values("person_id"))


@dataclass(frozen=True)
class ShelterFigures:
    """Nights spent in shelters from ``start`` to ``end``, and who spent them."""

    # Nights of everyone sheltered: a person and two children for a night are three.
    people_nights: int = 0
    # Persons sheltered, each with the household members who came with them.
    households: int = 0
    # Stays of persons without statistics consent: not counted anywhere.
    left_out: int = 0


def shelter_figures(members: Sequence[int], start: date, end: date) -> dict[int, ShelterFigures]:
    """Shelter nights and households of the nights ``start`` to ``end``, member by member,
    consent enforced."""
    from haven.casework.access import statistics_consent

    in_period, nights = _nights_in(start, end + timedelta(days=1))
    # A stay whose person was erased names nobody, as an unlinked service: it counts,
    # unless that person had refused (decision 43; the flag its own conjunct, as there).
    counted = Q(left_out_of_statistics=False) & (
        Q(person__isnull=True) | statistics_consent(members, "person_id")
    )
    with scope(organisation=list(members)):
        rows = (
            Stay.objects.filter(organisation_id__in=members)
            .filter(in_period)
            .annotate(kept=ExpressionWrapper(counted, output_field=BooleanField()))
            .values("organisation_id", "kept")
            .annotate(
                people_nights=Coalesce(
                    Sum(ExpressionWrapper(nights * _party(), output_field=IntegerField())),
                    Value(0),
                ),
                households=_households(),
                stays=Count("pk"),
            )
            .order_by()
        )
        grouped = {(row["organisation_id"], bool(row["kept"])): row for row in rows}
    figures = {}
    for member in members:
        kept = grouped.get((member, True), {})
        figures[member] = ShelterFigures(
            people_nights=int(kept.get("people_nights", 0)),
            households=int(kept.get("households", 0)),
            left_out=int(grouped.get((member, False), {}).get("stays", 0)),
        )
    return figures

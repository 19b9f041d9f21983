"""API of the shelters: facilities, stays, and occupancy by night or by month.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import date, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import Day
from haven.dates import filter_date_problem
from haven.organisations.api import Body, Message
from haven.privacy import audit
from haven.shelter import access, actions
from haven.shelter.models import Facility, Stay

router = Router(tags=["shelter"])


class FacilityOut(Schema):
    id: int
    name: str
    city: str
    beds: int
    family_rooms: int
    active: bool


class FacilityPage(Schema):
    count: int
    items: list[FacilityOut]


class FacilityQuery(Schema):
    include_inactive: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class FacilityIn(Body):
    # An empty name is refused by the action, with the same message as the page gives.
    name: str = Field(..., max_length=100)
    city: str = Field("", max_length=100)
    beds: StrictInt = Field(..., ge=0, le=actions.MAX_CAPACITY)
    family_rooms: StrictInt = Field(0, ge=0, le=actions.MAX_CAPACITY)


class FacilityPatch(Body):
    name: str | None = Field(None, max_length=100)
    city: str | None = Field(None, max_length=100)
    beds: StrictInt | None = Field(None, ge=0, le=actions.MAX_CAPACITY)
    family_rooms: StrictInt | None = Field(None, ge=0, le=actions.MAX_CAPACITY)
    active: StrictBool | None = None


class StayOut(Schema):
    id: uuid.UUID
    facility_id: int
    person_id: uuid.UUID | None = Field(description="null once the person was erased")
    person_code: str | None = Field(description="null once the person was erased")
    starts_on: date
    ends_on: date | None
    accompanying: int
    family_room: bool
    beds_used: int


class StayPage(Schema):
    count: int
    items: list[StayOut]


class StayQuery(Schema):
    facility_id: int | None = Field(None, ge=1, le=2**63 - 1)
    person_code: str = Field("", max_length=20)
    on: date | None = Field(None, description="Only stays that occupy this night")
    status: Literal["", "current", "upcoming", "past"] = ""
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class StayIn(Body):
    facility_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    person_code: str = Field(..., min_length=1, max_length=20)
    starts_on: Day
    ends_on: Day | None = Field(None, description="The morning they leave; none if not known")
    accompanying: StrictInt = Field(0, ge=0, le=actions.MAX_ACCOMPANYING)
    family_room: StrictBool = False


class StayPatch(Body):
    starts_on: Day | None = None
    ends_on: Day | None = Field(None, description="null makes the stay open-ended")
    accompanying: StrictInt | None = Field(None, ge=0, le=actions.MAX_ACCOMPANYING)
    family_room: StrictBool | None = None


class NightOut(Schema):
    night: date
    facility_id: int
    facility: str
    beds_used: int
    beds: int
    family_rooms_used: int
    family_rooms: int


class OccupancyQuery(Schema):
    on: date | None = Field(None, description="One night (default: tonight)")
    from_: date | None = Field(None, alias="from", description="First night of a range")
    to: date | None = Field(None, description="Last night of a range (at most 92 nights)")


class MonthOut(Schema):
    month: date
    nights: int
    people_nights: int
    households: int


class MonthQuery(Schema):
    from_: date | None = Field(None, alias="from", description="First night (default: 12 months)")
    to: date | None = Field(None, description="Last night (default: tonight)")


def _facility_out(facility: Facility) -> FacilityOut:
    return FacilityOut(
        id=facility.pk,
        name=facility.name,
        city=facility.city,
        beds=facility.beds,
        family_rooms=facility.family_rooms,
        active=facility.active,
    )


def _stay_out(stay: Stay) -> StayOut:
    return StayOut(
        id=stay.pk,
        facility_id=stay.facility_id,
        person_id=stay.person_id,
        person_code=stay.person.code if stay.person is not None else None,
        starts_on=stay.starts_on,
        ends_on=stay.ends_on,
        accompanying=stay.accompanying,
        family_room=stay.family_room,
        beds_used=stay.beds_used,
    )


def _facility_choice(request: OrganisationRequest, facility_id: int) -> Facility:
    facility = (
        access.facilities_of(request.organisation, include_inactive=True)
        .filter(pk=facility_id)
        .first()
    )
    if facility is None:
        raise ValidationError({"facility_id": "No facility of this organisation has this id."})
    return facility


@router.get(
    "/orgs/{org}/shelter/facilities", response=FacilityPage, summary="The organisation's shelters"
)
@api_organisation_operation("casework.view_person")
def list_facilities(
    request: OrganisationRequest, org: str, filters: Query[FacilityQuery]
) -> FacilityPage:
    facilities = access.facilities_of(
        request.organisation, include_inactive=filters.include_inactive
    )
    page = facilities[filters.offset : filters.offset + filters.limit]
    return FacilityPage(count=facilities.count(), items=[_facility_out(f) for f in page])


@router.post(
    "/orgs/{org}/shelter/facilities",
    response={201: FacilityOut, 400: Message},
    summary="Add a shelter with its beds and family rooms",
)
@api_organisation_operation("casework.manage_settings")
def create_facility(
    request: OrganisationRequest, org: str, payload: FacilityIn
) -> Status[FacilityOut]:
    facility = actions.create_facility(
        actor=request.user,
        organisation=request.organisation,
        name=payload.name,
        city=payload.city,
        beds=payload.beds,
        family_rooms=payload.family_rooms,
        request=request,
    )
    return Status(201, _facility_out(facility))


@router.get(
    "/orgs/{org}/shelter/facilities/{facility_id}", response=FacilityOut, summary="One shelter"
)
@api_organisation_operation("casework.view_person")
def get_facility(request: OrganisationRequest, org: str, facility_id: int) -> FacilityOut:
    return _facility_out(access.facility_for(request.organisation, facility_id))


@router.patch(
    "/orgs/{org}/shelter/facilities/{facility_id}",
    response={200: FacilityOut, 400: Message},
    summary="Change a shelter; capacity cannot drop below what is booked; active=false "
    "takes it out of use",
)
@api_organisation_operation("casework.manage_settings")
def update_facility(
    request: OrganisationRequest, org: str, facility_id: int, payload: FacilityPatch
) -> FacilityOut:
    facility = access.facility_for(request.organisation, facility_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = sorted(field for field, value in changes.items() if value is None)
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    updated = actions.update_facility(
        actor=request.user, facility=facility, changes=changes, request=request
    )
    return _facility_out(updated)


@router.get("/orgs/{org}/shelter/stays", response=StayPage, summary="Stays, filtered and paginated")
@api_organisation_operation("casework.view_person")
def list_stays(request: OrganisationRequest, org: str, filters: Query[StayQuery]) -> StayPage:
    stays = access.stays_of(
        request.organisation,
        access.StayFilters(
            facility_id=filters.facility_id,
            person_code=filters.person_code,
            on=filters.on,
            status=filters.status,
            today=timezone.localdate(),
        ),
    )
    page = list(stays[filters.offset : filters.offset + filters.limit])
    access.record_stay_listing(request, page, "api.stays", filters.person_code)
    return StayPage(count=stays.count(), items=[_stay_out(stay) for stay in page])


@router.post(
    "/orgs/{org}/shelter/stays",
    response={201: StayOut, 400: Message},
    summary="Book a stay; refused if any night would be over capacity",
)
@api_organisation_operation("casework.edit")
def create_stay(request: OrganisationRequest, org: str, payload: StayIn) -> Status[StayOut]:
    facility = _facility_choice(request, payload.facility_id)
    person = access.person_by_code(request.organisation, payload.person_code)
    if person is None:
        raise ValidationError({"person_code": _("No person has this code.")})
    stay = actions.book_stay(
        actor=request.user,
        facility=facility,
        person=person,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        accompanying=payload.accompanying,
        family_room=payload.family_room,
        request=request,
    )
    return Status(201, _stay_out(stay))


@router.get("/orgs/{org}/shelter/stays/{stay_id}", response=StayOut, summary="One stay")
@api_organisation_operation("casework.view_person")
def get_stay(request: OrganisationRequest, org: str, stay_id: uuid.UUID) -> StayOut:
    stay = access.stay_for(request.organisation, stay_id)
    if stay.person is not None:  # else erased: the stay names nobody
        audit.record(
            "person.viewed",
            actor=request.user,
            organisation=request.organisation,
            target=stay.person,
            details={"page": "api.stay", "identity": False},
            request=request,
        )
    return _stay_out(stay)


@router.patch(
    "/orgs/{org}/shelter/stays/{stay_id}",
    response={200: StayOut, 400: Message},
    summary="Change a stay's dates or party (ends_on null makes it open-ended); re-checked",
)
@api_organisation_operation("casework.edit")
def update_stay(
    request: OrganisationRequest, org: str, stay_id: uuid.UUID, payload: StayPatch
) -> StayOut:
    stay = access.stay_for(request.organisation, stay_id)
    changes = payload.model_dump(exclude_unset=True)
    nulls = sorted(
        field for field, value in changes.items() if value is None and field != "ends_on"
    )
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, "This field cannot be null."))
    if list(changes) == ["ends_on"] and changes["ends_on"] is not None:
        updated = actions.end_stay(
            actor=request.user, stay=stay, ends_on=changes["ends_on"], request=request
        )
    else:
        updated = actions.change_stay(
            actor=request.user, stay=stay, changes=changes, request=request
        )
    return _stay_out(updated)


@router.delete(
    "/orgs/{org}/shelter/stays/{stay_id}",
    response={204: None, 400: Message},
    summary="Cancel a stay that has not begun (it is deleted); one already begun is refused: "
    "set its ends_on instead",
)
@api_organisation_operation("casework.edit")
def delete_stay(request: OrganisationRequest, org: str, stay_id: uuid.UUID) -> Status[None]:
    stay = access.stay_for(request.organisation, stay_id)
    actions.cancel_stay(actor=request.user, stay=stay, request=request)
    return Status(204, None)


def _refuse_far_dates(days: dict[str, date | None]) -> None:
    """Refuse a filter date before 2000 or years ahead: 400 with what to correct."""
    problems = {
        name: problem
        for name, day in days.items()
        if day is not None and (problem := filter_date_problem(day))
    }
    if problems:
        raise ValidationError(problems)


@router.get(
    "/orgs/{org}/shelter/occupancy",
    response={200: list[NightOut], 400: Message},
    summary="Occupancy of each shelter in use: one night (?on=) or a range (?from=&to=)",
)
@api_organisation_operation("casework.view_person")
def occupancy(
    request: OrganisationRequest, org: str, filters: Query[OccupancyQuery]
) -> list[NightOut]:
    _refuse_far_dates({"on": filters.on, "from": filters.from_, "to": filters.to})
    if filters.on is not None and (filters.from_ is not None or filters.to is not None):
        raise ValidationError({"on": "Give either on, or from and to, not both."})
    if (filters.from_ is None) != (filters.to is None):
        raise ValidationError({"to": "Give both from and to."})
    if filters.from_ is not None and filters.to is not None:
        start, nights = filters.from_, (filters.to - filters.from_).days + 1
        if not 1 <= nights <= access.MAX_RANGE_NIGHTS:
            raise ValidationError(
                {
                    "to": f"Give a range of 1 to {access.MAX_RANGE_NIGHTS} nights "
                    "(to not before from)."
                }
            )
    else:
        start, nights = filters.on or timezone.localdate(), 1
    facilities = list(access.facilities_of(request.organisation))
    grid = access.nightly_occupancy(request.organisation, start, nights, facilities)
    return [
        NightOut(
            night=night.night,
            facility_id=facility.pk,
            facility=facility.name,
            beds_used=night.beds_used,
            beds=night.beds,
            family_rooms_used=night.family_rooms_used,
            family_rooms=night.family_rooms,
        )
        for facility in facilities
        for night in grid[facility.pk]
    ]


@router.get(
    "/orgs/{org}/shelter/occupancy/months",
    response={200: list[MonthOut], 400: Message},
    summary="Nights spent in the shelters month by month (default: the last 12 months)",
)
@api_organisation_operation("casework.view_person")
def occupancy_by_month(
    request: OrganisationRequest, org: str, filters: Query[MonthQuery]
) -> list[MonthOut]:
    _refuse_far_dates({"from": filters.from_, "to": filters.to})
    last = filters.to or timezone.localdate()
    first = filters.from_ or access.months_back(last, 12)
    if first > last or (last - first).days > 3 * 366:
        raise ValidationError({"from": "Give from before to, at most three years apart."})
    months = access.nights_by_month(request.organisation, first, last + timedelta(days=1))
    return [
        MonthOut(
            month=month.month,
            nights=month.nights,
            people_nights=month.people_nights,
            households=month.households,
        )
        for month in months
    ]

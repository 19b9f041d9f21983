"""API of the caseworker's workspace: the home page's data and a person's timeline.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import date, datetime
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.casework.access import person_for
from haven.workspace import access

router = Router(tags=["workspace"])


class CaseLineOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    person_code: str
    status: str
    risk_level: str
    opened_on: date
    follow_up_on: date | None
    assigned_to_id: int | None


class CallDueOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID | None
    person_code: str | None
    started_at: datetime
    follow_up_on: date | None


class OccupancyOut(Schema):
    facility_id: int
    name: str
    city: str
    beds: int
    beds_used: int
    family_rooms: int
    family_rooms_used: int


class ActivityOut(Schema):
    kind: str
    at: datetime
    person_id: uuid.UUID | None
    person_code: str | None
    label: str


class HomeOut(Schema):
    today: date
    open_cases: list[CaseLineOut]
    cases_due: list[CaseLineOut]
    calls_due: list[CallDueOut]
    occupancy: list[OccupancyOut]
    recent: list[ActivityOut]


class TimelineItemOut(Schema):
    kind: str = Field(description="service, note, call, stay, consent_given or consent_withdrawn")
    id: uuid.UUID
    day: date
    at: datetime | None = Field(description="Set for calls and notes; others are known by day")
    data: dict[str, Any]


class TimelineOut(Schema):
    items: list[TimelineItemOut]
    next_before: str | None = Field(description="Pass as `before` for the next, older page")


class TimelineQuery(Schema):
    before: str = Field("", max_length=120, description="`next_before` of the previous page")
    limit: int = Field(access.PAGE_SIZE, ge=1, le=100)


def _case_out(case: access.CaseLine) -> CaseLineOut:
    return CaseLineOut(
        id=case.id,
        person_id=case.person_id,
        person_code=case.person_code,
        status=case.status,
        risk_level=case.risk_level,
        opened_on=case.opened_on,
        follow_up_on=case.follow_up_on,
        assigned_to_id=case.assigned_to_id,
    )


def _call_out(call: access.CallLine) -> CallDueOut:
    return CallDueOut(
        id=call.id,
        person_id=call.person_id,
        person_code=call.person_code,
        started_at=call.started_at,
        follow_up_on=call.follow_up_on,
    )


def _user(user: Any) -> int | None:
    return user.pk if user is not None else None


def _data(item: access.TimelineItem, read_notes: bool) -> dict[str, Any]:
    obj = item.obj
    if item.kind == access.SERVICE:
        return {
            "service_type_id": obj.service_type_id,
            "service": item.service_name,
            "unit": obj.service_type.unit,
            "quantity": str(obj.quantity),
            "amount": None if obj.amount is None else str(obj.amount),
            "currency": obj.currency,
            "channel": obj.channel,
            "language": obj.language,
            "city": obj.city,
            "to_household": obj.person_id is None,
            "staff_id": obj.staff_id,
        }
    if item.kind == access.NOTE:
        return {
            "case_id": str(obj.case_id),
            "author_id": obj.author_id,
            # Note texts only for roles doing casework; others learn that a note exists.
            "text": obj.text if read_notes else None,
        }
    if item.kind == access.CALL:
        return {
            "channel": obj.channel,
            "caller_type": obj.caller_type,
            "duration_minutes": obj.duration_minutes,
            "topics": list(obj.topics),
            "outcome": obj.outcome,
            "operator_id": obj.operator_id,
        }
    if item.kind == access.STAY:
        return {
            "facility_id": obj.facility_id,
            "facility": obj.facility.name,
            "starts_on": obj.starts_on.isoformat(),
            "ends_on": obj.ends_on.isoformat() if obj.ends_on else None,
            "accompanying": obj.accompanying,
            "family_room": obj.family_room,
        }
    return {
        "purpose": obj.purpose,
        "recipient_id": obj.recipient_id,
        "method": obj.method,
        "given_on": obj.given_on.isoformat(),
        "withdrawn_on": obj.withdrawn_on.isoformat() if obj.withdrawn_on else None,
    }


@router.get(
    "/orgs/{org}/work",
    response=HomeOut,
    summary="The caseworker's home: my open cases, follow-ups due, shelter occupancy today",
)
@api_organisation_operation("casework.view_person")
def work_home(request: OrganisationRequest, org: str) -> HomeOut:
    home = access.home_for(request)
    return HomeOut(
        today=home.today,
        open_cases=[_case_out(case) for case in home.my_cases],
        cases_due=[_case_out(case) for case in home.due_cases],
        calls_due=[_call_out(call) for call in home.due_calls],
        occupancy=[
            OccupancyOut(
                facility_id=row.facility.pk,
                name=row.facility.name,
                city=row.facility.city,
                beds=row.facility.beds,
                beds_used=row.beds_used,
                family_rooms=row.facility.family_rooms,
                family_rooms_used=row.family_rooms_used,
            )
            for row in home.occupancy
        ],
        recent=[
            ActivityOut(
                kind=item.kind,
                at=item.at,
                person_id=item.person_id,
                person_code=item.person_code,
                label=item.label,
            )
            for item in home.recent
        ],
    )


@router.get(
    "/orgs/{org}/people/{person_id}/timeline",
    response=TimelineOut,
    summary="A person's history, newest first: services, notes, calls, stays, consent",
)
@api_organisation_operation("casework.view_person")
def person_timeline(
    request: OrganisationRequest, org: str, person_id: uuid.UUID, query: Query[TimelineQuery]
) -> TimelineOut:
    # A damaged cursor is refused (400) before anything about the person is read.
    before = access.Cursor.decode(query.before) if query.before else None
    person = person_for(request, person_id)
    page = access.timeline(person, before=before, size=query.limit)
    read_notes = access.can_read_notes(request.permissions)
    return TimelineOut(
        items=[
            TimelineItemOut(
                kind=item.kind,
                id=uuid.UUID(item.id),
                day=item.day,
                at=item.moment,
                data=_data(item, read_notes),
            )
            for item in page.items
        ],
        next_before=page.next_cursor.encode() if page.next_cursor else None,
    )

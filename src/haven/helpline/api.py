"""API of the helpline: list, log, read, correct calls and close their follow-ups.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import datetime
import uuid
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from haven.accounts.tenancy import OrganisationRequest, api_organisation_operation
from haven.api.schemas import DateTime, Day
from haven.casework.models import Person
from haven.dates import filter_date_problem
from haven.helpline import access, actions
from haven.helpline.models import CallChannel, CallerType, CallOutcome, CallTopic, HelplineCall
from haven.organisations.api import Body, Message

router = Router(tags=["helpline"])


class CallSummary(Schema):
    id: uuid.UUID
    started_at: datetime.datetime
    duration_minutes: int | None = Field(description="null: not known")
    channel: str
    language: str
    caller_type: str
    topics: list[str]
    outcome: str
    follow_up_on: datetime.date | None
    follow_up_done: bool
    person_id: uuid.UUID | None
    person_code: str | None
    operator_id: int | None
    created_at: datetime.datetime


class CallOut(CallSummary):
    notes: str


class CallPage(Schema):
    count: int
    items: list[CallSummary]


class CallQuery(Schema):
    date_from: datetime.date | None = Field(None, description="Calls started on or after")
    date_to: datetime.date | None = Field(None, description="Calls started on or before")
    channel: CallChannel | None = None
    caller_type: CallerType | None = None
    topic: CallTopic | None = None
    outcome: CallOutcome | None = None
    operator_id: int | None = Field(None, ge=1, le=2**31 - 1)
    person_id: uuid.UUID | None = None
    follow_up: Literal["due", "open", "done"] | None = Field(
        None, description="due: open and dated today or earlier"
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


PERSON_FIELDS = "Link to a person by person_id or person_code (needs their casework consent)."


class CallIn(Body):
    caller_type: CallerType
    outcome: CallOutcome
    started_at: DateTime | None = Field(None, description="Default: now")
    duration_minutes: StrictInt | None = Field(
        None, ge=0, le=600, description="Default: null, not known (never guessed from started_at)"
    )
    channel: CallChannel = CallChannel.PHONE
    language: str = Field("", max_length=3, description="ISO 639 code")
    topics: list[CallTopic] = Field(default_factory=list, max_length=len(CallTopic.values))
    follow_up_on: Day | None = None
    person_id: uuid.UUID | None = Field(None, description=PERSON_FIELDS)
    person_code: str | None = Field(None, max_length=20, description=PERSON_FIELDS)
    notes: str = Field("", max_length=5_000)


class CallPatch(Body):
    caller_type: CallerType | None = None
    outcome: CallOutcome | None = None
    started_at: DateTime | None = None
    duration_minutes: StrictInt | None = Field(None, ge=0, le=600, description="null: not known")
    channel: CallChannel | None = None
    language: str | None = Field(None, max_length=3, description="ISO 639 code")
    topics: list[CallTopic] | None = Field(None, max_length=len(CallTopic.values))
    follow_up_on: Day | None = Field(None, description="null clears it")
    follow_up_done: StrictBool | None = None
    person_id: uuid.UUID | None = Field(None, description="null unlinks the person")
    person_code: str | None = Field(None, max_length=20)
    notes: str | None = Field(None, max_length=5_000)


def _summary_values(call: HelplineCall) -> dict[str, Any]:
    return {
        "id": call.pk,
        "started_at": call.started_at,
        "duration_minutes": call.duration_minutes,
        "channel": call.channel,
        "language": call.language,
        "caller_type": call.caller_type,
        "topics": [str(topic) for topic in call.topics or []],
        "outcome": call.outcome,
        "follow_up_on": call.follow_up_on,
        "follow_up_done": call.follow_up_done,
        "person_id": call.person_id,
        "person_code": call.person.code if call.person else None,
        "operator_id": call.operator_id,
        "created_at": call.created_at,
    }


def _out(call: HelplineCall) -> CallOut:
    return CallOut(**_summary_values(call), notes=call.notes)


def _value(value: Any) -> Any:
    if isinstance(value, list):
        return [_value(item) for item in value]
    return getattr(value, "value", value)


def _person(
    request: OrganisationRequest, person_id: uuid.UUID | None, person_code: str | None
) -> Person | None:
    """The person named by id or code, or None; a name that matches no one is refused."""
    if person_id is not None and person_code:
        raise ValidationError({"person_id": "Give person_id or person_code, not both."})
    if person_id is not None:
        from haven.casework.access import persons_of

        person = persons_of(request.organisation).filter(pk=person_id).first()
        if person is None:
            raise ValidationError({"person_id": "No person with this id in this organisation."})
        return person
    if person_code:
        person = access.person_by_code(request.organisation, person_code)
        if person is None:
            raise ValidationError({"person_code": "No person with this code here."})
        return person
    return None


def _problems(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


def _refusal(problems: dict[str, list[str]], payload: CallIn | CallPatch) -> ValidationError:
    """Every problem at once; the linked person's (their consent) under the field that
    named them."""
    problems = dict(problems)
    if "person" in problems:
        field = "person_code" if payload.person_code else "person_id"
        problems[field] = [*problems.get(field, []), *problems.pop("person")]
    return ValidationError(problems)


@router.get(
    "/orgs/{org}/helpline/calls",
    response={200: CallPage, 400: Message},
    summary="Helpline calls, latest first, filtered and paginated (notes left out)",
)
@api_organisation_operation("helpline.log_call")
def list_calls(request: OrganisationRequest, org: str, filters: Query[CallQuery]) -> CallPage:
    problems = {
        name: problem
        for name, day in (("date_from", filters.date_from), ("date_to", filters.date_to))
        if day is not None and (problem := filter_date_problem(day))
    }
    if problems:
        raise ValidationError(problems)
    calls = access.filtered_calls(
        request.organisation,
        access.CallFilters(
            date_from=filters.date_from,
            date_to=filters.date_to,
            channel=_value(filters.channel) or "",
            caller_type=_value(filters.caller_type) or "",
            topic=_value(filters.topic) or "",
            outcome=_value(filters.outcome) or "",
            operator_id=filters.operator_id,
            follow_up=filters.follow_up or "",
            person_id=filters.person_id,
        ),
    )
    page = list(calls[filters.offset : filters.offset + filters.limit])
    access.record_listing(request, len(page), about=filters.person_id)
    return CallPage(
        count=calls.count(), items=[CallSummary(**_summary_values(call)) for call in page]
    )


@router.post(
    "/orgs/{org}/helpline/calls",
    response={201: CallOut, 400: Message},
    summary="Log a call; anonymous unless person_id or person_code is given",
)
@api_organisation_operation("helpline.log_call")
def create_call(request: OrganisationRequest, org: str, payload: CallIn) -> Status[CallOut]:
    values: dict[str, Any] = {
        "caller_type": _value(payload.caller_type),
        "outcome": _value(payload.outcome),
        "started_at": payload.started_at or timezone.now(),
        "channel": _value(payload.channel),
        "language": payload.language.strip().lower(),
        "topics": _value(payload.topics),
        "follow_up_on": payload.follow_up_on,
        "notes": payload.notes.strip(),
    }
    if payload.duration_minutes is not None:
        values["duration_minutes"] = payload.duration_minutes
    try:
        person = _person(request, payload.person_id, payload.person_code)
    except ValidationError as error:
        problems = actions.call_problems(request.organisation, values)
        raise _refusal({**problems, **_problems(error)}, payload) from None
    try:
        call = actions.log_call(
            actor=request.user,
            organisation=request.organisation,
            person=person,
            request=request,
            **values,
        )
    except ValidationError as error:
        raise _refusal(_problems(error), payload) from None
    return Status(201, _out(call))


@router.get(
    "/orgs/{org}/helpline/calls/{call_id}",
    response=CallOut,
    summary="One call, with its notes (the read is audited)",
)
@api_organisation_operation("helpline.log_call")
def get_call(request: OrganisationRequest, org: str, call_id: uuid.UUID) -> CallOut:
    return _out(access.call_for(request, call_id))


@router.patch(
    "/orgs/{org}/helpline/calls/{call_id}",
    response={200: CallOut, 400: Message},
    summary=(
        "Correct a call (send only what changes; null clears follow_up_on or the person); "
        "the answer shows the notes, so it is audited as a read"
    ),
)
@api_organisation_operation("helpline.log_call")
def update_call(
    request: OrganisationRequest, org: str, call_id: uuid.UUID, payload: CallPatch
) -> CallOut:
    call = access.call_for(request, call_id)
    changes = {key: _value(value) for key, value in payload.model_dump(exclude_unset=True).items()}
    person_id = changes.pop("person_id", None)
    person_code = changes.pop("person_code", None)
    if isinstance(changes.get("language"), str):
        changes["language"] = changes["language"].strip().lower()
    if isinstance(changes.get("notes"), str):
        changes["notes"] = changes["notes"].strip()
    problems: dict[str, list[str]] = {}
    for name in ("language", "notes", "topics", "follow_up_done"):
        if name in changes and changes[name] is None:
            problems[name] = [_("This field cannot be null.")]
            del changes[name]
    if "person_id" in payload.model_fields_set or "person_code" in payload.model_fields_set:
        try:
            changes["person"] = _person(request, person_id, person_code)
        except ValidationError as error:
            problems.update(_problems(error))
    if problems:
        others = actions.call_problems(request.organisation, changes, call)
        raise _refusal({**others, **problems}, payload)
    try:
        updated = actions.update_call(
            actor=request.user, call=call, changes=changes, request=request
        )
    except ValidationError as error:
        raise _refusal(_problems(error), payload) from None
    return _out(updated)


@router.post(
    "/orgs/{org}/helpline/calls/{call_id}/follow-up-done",
    response={200: CallOut, 400: Message},
    summary="Mark the call's follow-up as done; the answer shows the notes (audited as a read)",
)
@api_organisation_operation("helpline.log_call")
def close_follow_up(request: OrganisationRequest, org: str, call_id: uuid.UUID) -> CallOut:
    call = access.call_for(request, call_id)
    return _out(actions.mark_follow_up_done(actor=request.user, call=call, request=request))

"""API of events: the owner's operations, the door, and the public's registration.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators. URL parameters are only ``org``, ``event_id``, ``event``,
``session_id``, ``speaker_id`` and ``registration_id`` (the authorisation matrix knows
those); partners, placements, questions and codes are named by id in the request body.
"""

import json
import uuid
from datetime import datetime
from functools import cache
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_scopes import scope
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints, model_validator

from haven.abuse.addresses import canonical_email, checked_email, is_blocked_domain
from haven.abuse.ratelimit import check_public_submission
from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_public_operation,
)
from haven.api.schemas import DateTime, EmailAddress
from haven.events import access, actions, door
from haven.events.content import venue_hidden
from haven.events.models import (
    CheckInResult,
    Event,
    EventPartner,
    EventStatus,
    EventText,
    InvitationCode,
    Question,
    Registration,
    Session,
    SessionSpeaker,
    Speaker,
)
from haven.events.public_forms import throwaway_refusal
from haven.organisations.api import Body, Message
from haven.organisations.models import Organisation
from haven.privacy import audit

router = Router(tags=["events"])

KIND = Literal[
    "conference",
    "seminar",
    "meeting",
    "march",
    "side_event",
    "training",
    "webinar",
    "colloquium",
    "press_conference",
    "other",
]
LANGUAGE = Field(..., min_length=2, max_length=8, pattern=r"^[a-z]{2,3}$", examples=["en"])


# --- schemas --------------------------------------------------------------------------------


class EventTextOut(Schema):
    language: str
    title: str
    description: str


class PartnerOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    role: str


class EventOut(Schema):
    id: int
    slug: str
    kind: str
    status: str
    language: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    in_person: bool
    online: bool
    venue_name: str
    venue_address: str
    room: str
    city: str
    country: str
    languages: list[str]
    interpretation: list[str]
    visibility: str
    registration_open: bool
    registration_closes_at: datetime | None
    capacity: int | None
    places_taken: int
    waiting_list: bool
    offer_hours: int
    group_size: int
    id_check: bool
    recording_url: str
    report_url: str
    hashtags: str
    anonymise_after_days: int
    published_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    withdrawn_at: datetime | None
    withdrawal_reason: str
    texts: list[EventTextOut]
    partners: list[PartnerOut]


class EventFields(Body):
    kind: KIND | None = None
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=20_000)
    starts_at: DateTime | None = None
    ends_at: DateTime | None = None
    timezone: str | None = Field(None, max_length=64, examples=["Europe/Paris"])
    in_person: StrictBool | None = None
    online: StrictBool | None = None
    venue_name: str | None = Field(None, max_length=200)
    venue_address: str | None = Field(None, max_length=300)
    room: str | None = Field(None, max_length=100)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    languages: list[str] | None = Field(None, max_length=30)
    interpretation: list[str] | None = Field(None, max_length=30)
    visibility: Literal["public", "invitation"] | None = None
    registration_open: StrictBool | None = None
    registration_closes_at: DateTime | None = None
    capacity: StrictInt | None = Field(None, ge=1, le=actions.LARGEST_CAPACITY)
    waiting_list: StrictBool | None = None
    offer_hours: StrictInt | None = Field(None, ge=1, le=actions.LONGEST_OFFER_HOURS)
    group_size: StrictInt | None = Field(None, ge=1, le=actions.LARGEST_GROUP)
    id_check: StrictBool | None = None
    recording_url: str | None = Field(None, max_length=500)
    report_url: str | None = Field(None, max_length=500)
    hashtags: str | None = Field(None, max_length=200)
    anonymise_after_days: StrictInt | None = Field(None, ge=1, le=actions.LONGEST_RETENTION_DAYS)


class EventIn(EventFields):
    language: str = LANGUAGE
    title: str = Field(..., min_length=1, max_length=300)
    starts_at: DateTime
    ends_at: DateTime


class EventMoveIn(Body):
    move: Literal["publish", "cancel", "withdraw"] = Field(
        ...,
        description=(
            "withdraw: off every public page (410), registrants e-mailed; the event stays "
            "the owner's"
        ),
    )
    reason: str = Field("", max_length=500, description="Required to cancel or withdraw.")


class EventTextIn(Body):
    language: str = LANGUAGE
    title: str = Field("", max_length=300, description="Empty: remove this translation.")
    description: str = Field("", max_length=20_000)


class MeetingIn(Body):
    meeting_url: str = Field("", max_length=1000)
    joining_details: str = Field("", max_length=2000)


class MeetingOut(Schema):
    meeting_url: str
    joining_details: str


class PartnerIn(Body):
    organisation_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    role: Literal["co_organiser", "co_host", "co_sponsor", "cooperation"]


class PartnerRemoveIn(Body):
    partner_id: StrictInt = Field(..., ge=1, le=2**63 - 1)


class SpeakerIn(Body):
    name: str = Field(..., min_length=1, max_length=200)
    title: str = Field("", max_length=300)
    organisation_id: StrictInt | None = Field(None, ge=1, le=2**63 - 1)
    affiliation: str = Field("", max_length=200)


class SpeakerOut(Schema):
    id: int
    name: str
    title: str
    organisation_id: int | None
    organisation: str


class SessionIn(Body):
    kind: str = Field("panel", max_length=20)
    title: str = Field(..., min_length=1, max_length=300)
    description: str = Field("", max_length=5000)
    starts_at: DateTime
    ends_at: DateTime
    room: str = Field("", max_length=100)


class PlacementOut(Schema):
    id: int
    speaker_id: int
    name: str
    title: str
    organisation: str
    role: str
    talk_title: str


class SessionOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    room: str
    speakers: list[PlacementOut]


class PlacementIn(Body):
    speaker_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    role: Literal["speaker", "keynote", "panelist", "moderator", "host"] = "speaker"
    talk_title: str = Field("", max_length=300)


class PlacementRemoveIn(Body):
    placement_id: StrictInt = Field(..., ge=1, le=2**63 - 1)


class QuestionIn(Body):
    question_id: StrictInt | None = Field(None, ge=1, le=2**63 - 1, description="To change one.")
    label: str = Field(..., min_length=1, max_length=200)
    kind: Literal["text", "long_text", "choice", "yes_no", "language"] = "text"
    required: StrictBool = False
    help_text: str = Field("", max_length=300)
    choices: str = Field("", max_length=5000, description="One per line.")
    show_at_door: StrictBool = False


class QuestionTextOut(Schema):
    language: str
    label: str
    help_text: str
    choices: list[str] = Field(..., description="Line for line the original's; empty: those.")


class QuestionOut(Schema):
    id: int
    label: str
    kind: str
    required: bool
    help_text: str
    choices: list[str]
    texts: list[QuestionTextOut] = Field(
        ..., description="Translations; answers always give the original choice."
    )


class QuestionTextIn(Body):
    question_id: StrictInt = Field(..., ge=1, le=2**63 - 1)
    language: str = LANGUAGE
    label: str = Field("", max_length=200, description="Empty: remove this translation.")
    help_text: str = Field("", max_length=300, description="Empty: the original's.")
    choices: str = Field(
        "",
        max_length=5000,
        description="One per line, as many as the original's and in its order; empty: those.",
    )


class OrderIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"ids": [3, 1, 2]}]})

    ids: list[Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]] = Field(
        ..., max_length=500, description="Every item's id exactly once, in the new order."
    )


class QuestionRemoveIn(Body):
    question_id: StrictInt = Field(..., ge=1, le=2**63 - 1)


class CodeIn(Body):
    label: str = Field("", max_length=200)
    uses_allowed: StrictInt = Field(1, ge=1, le=10_000)


class CodeOut(Schema):
    id: int
    code: str
    label: str
    uses_allowed: int
    uses: int
    revoked_at: datetime | None


class CodeRevokeIn(Body):
    code_id: StrictInt = Field(..., ge=1, le=2**63 - 1)


class RegistrationOut(Schema):
    id: uuid.UUID
    status: str
    name: str
    email: str
    answers: dict[str, str]
    group: uuid.UUID
    booker: bool
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    offer_expires_at: datetime | None
    checked_in_at: datetime | None
    id_checked: bool
    link_revoked_at: datetime | None


class RegistrationPage(Schema):
    count: int
    items: list[RegistrationOut]


class RegistrationQuery(Schema):
    status: Literal["confirmed", "waiting", "offered", "cancelled", "expired"] | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class Cancelled(Schema):
    cancelled: int


class CheckInItem(Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "3f2a9c1e5b7d4a60c8e1f29b7a3d5c04"}]}
    )

    code: str = Field("", max_length=200, description="What the ticket's QR code carries.")
    registration_id: uuid.UUID | None = Field(None, description="Or the registration, by name.")
    id_checked: StrictBool = False
    scanned_at: DateTime | None = None
    offline: StrictBool = False

    @model_validator(mode="after")
    def one_way_to_name_the_ticket(self) -> "CheckInItem":
        # A scan names its ticket by code or by registration: an empty one is not a scan.
        if bool(self.code.strip()) == (self.registration_id is not None):
            raise ValueError("Give either a code or a registration_id.")
        return self


class CheckInBatch(Body):
    check_ins: list[CheckInItem] = Field(..., min_length=1, max_length=access.DOOR_BATCH)


class CheckInOut(Schema):
    result: str
    message: str
    admitted: bool
    registration_id: uuid.UUID | None
    name: str
    checked_in_at: datetime | None


class CheckInResults(Schema):
    results: list[CheckInOut]


class Counts(Schema):
    capacity: int | None
    places_taken: int
    registered: int
    waiting: int
    offered: int
    cancelled: int
    checked_in: int


class DoorEventOut(Schema):
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str
    id_check: bool = Field(
        ..., description="The door confirms an ID or press card was checked (id_checked)."
    )


class DoorAnswerOut(Schema):
    label: str
    answer: str


class DoorRegistrantOut(Schema):
    id: uuid.UUID = Field(..., description="To check in by name: the registration_id.")
    name: str
    status: str
    status_label: str
    group: list[str] = Field(..., description="The others registered with them, by name.")
    answers: list[DoorAnswerOut] = Field(
        ..., description="Only the answers to questions shown at the door."
    )
    checked_in_at: datetime | None


class DoorSearchQuery(Schema):
    q: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=1, max_length=access.LONGEST_DOOR_SEARCH
        ),
    ] = Field(..., description="Part of the name (case does not matter).")


class DoorTicketOut(Schema):
    digest: str = Field(
        ...,
        description="SHA-256 (hex) of the ticket code in lower case, without spaces or dashes.",
    )
    id: uuid.UUID
    name_sealed: str = Field(
        ...,
        description=(
            "The name, readable only with this ticket's code: base64 of a 12-byte nonce and "
            "its AES-256-GCM ciphertext, under HKDF-SHA-256 of the code (no salt, info "
            "'haven.door.name', 32 bytes)."
        ),
    )
    status: str
    checked_in_at: datetime | None


class DoorListOut(Schema):
    id_check: bool
    generated_at: datetime
    keep_until: datetime = Field(
        ..., description="Delete the list by then (an hour after the event, a day at most)."
    )
    queue_keep_until: datetime = Field(
        ..., description="Delete unsynced check-ins by then (a week after the event)."
    )
    rows: list[DoorTicketOut]


class PublicPartner(Schema):
    organisation: str
    role: str


class PublicEventSummary(Schema):
    owner: str
    owner_slug: str
    slug: str
    kind: str
    status: str
    language: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    in_person: bool
    online: bool
    city: str
    country: str
    languages: list[str]
    accepting_registrations: bool
    full: bool


class PublicEvent(PublicEventSummary):
    description: str
    venue_name: str
    venue_address: str
    room: str
    interpretation: list[str]
    visibility: str
    registration_closes_at: datetime | None
    places_left: int | None
    waiting_list: bool
    group_size: int
    id_check: bool
    recording_url: str
    report_url: str
    cancel_reason: str
    texts: list[EventTextOut]
    partners: list[PublicPartner]
    programme: list[SessionOut]
    questions: list[QuestionOut]


class PublicEventQuery(Schema):
    when: Literal["upcoming", "past"] = "upcoming"
    kind: KIND | None = None
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    language: str | None = Field(None, max_length=8, pattern=r"^([a-z]{2,3})?$")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=100_000)


class RegisterIn(Body):
    name: str = Field(..., min_length=1, max_length=200)
    email: EmailAddress = Field(..., max_length=254)
    answers: dict[str, str] = Field(default_factory=dict, description="By question id.")
    companions: list[str] = Field(default_factory=list, max_length=actions.LARGEST_GROUP)
    code: str = Field("", max_length=40, description="For an invitation-only event.")
    language: str = Field("en", max_length=8)


# --- helpers --------------------------------------------------------------------------------


def _texts(event: Event) -> list[EventTextOut]:
    return [
        EventTextOut(language=text.language, title=text.title, description=text.description)
        for text in EventText.objects.filter(event=event).order_by("language")
    ]


def _partners(event: Event) -> list[EventPartner]:
    return list(EventPartner.objects.filter(event=event).select_related("organisation"))


def _event_out(event: Event) -> EventOut:
    skip = {"texts", "partners", "country"}
    values = {name: getattr(event, name) for name in EventOut.model_fields if name not in skip}
    return EventOut(
        **values,
        country=str(event.country or ""),
        texts=_texts(event),
        partners=[
            PartnerOut(
                id=partner.pk,
                organisation_id=partner.organisation_id,
                organisation=partner.organisation.name,
                role=partner.role,
            )
            for partner in _partners(event)
        ],
    )


def _speaker_out(speaker: Speaker) -> SpeakerOut:
    return SpeakerOut(
        id=speaker.pk,
        name=speaker.name,
        title=speaker.title,
        organisation_id=speaker.organisation_id,
        organisation=speaker.organisation_name,
    )


def _placement_out(placement: SessionSpeaker) -> PlacementOut:
    return PlacementOut(
        id=placement.pk,
        speaker_id=placement.speaker_id,
        name=placement.speaker.name,
        title=placement.speaker.title,
        organisation=placement.speaker.organisation_name,
        role=placement.role,
        talk_title=placement.talk_title,
    )


def _session_out(session: Session, placements: list[SessionSpeaker] | None = None) -> SessionOut:
    if placements is None:
        placements = list(session.speakers.all())
    return SessionOut(
        id=session.pk,
        kind=session.kind,
        title=session.title,
        description=session.description,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        room=session.room,
        speakers=[_placement_out(placement) for placement in placements],
    )


def _question_out(question: Question) -> QuestionOut:
    return QuestionOut(
        id=question.pk,
        label=question.label,
        kind=question.kind,
        required=question.required,
        help_text=question.help_text,
        choices=question.choice_list(),
        texts=[
            QuestionTextOut(
                language=text.language,
                label=text.label,
                help_text=text.help_text,
                choices=text.choice_list(),
            )
            for text in question.texts.all()
        ],
    )


def _code_out(code: InvitationCode) -> CodeOut:
    return CodeOut(
        id=code.pk,
        code=code.code,
        label=code.label,
        uses_allowed=code.uses_allowed,
        uses=code.uses,
        revoked_at=code.revoked_at,
    )


def _registration_out(registration: Registration) -> RegistrationOut:
    return RegistrationOut(
        id=registration.pk,
        status=registration.status,
        name=registration.name,
        email=registration.email,
        answers=registration.answers,
        group=registration.group,
        booker=registration.booker,
        language=registration.language,
        created_at=registration.created_at,
        confirmed_at=registration.confirmed_at,
        cancelled_at=registration.cancelled_at,
        offer_expires_at=registration.offer_expires_at,
        checked_in_at=registration.checked_in_at,
        id_checked=registration.id_checked,
        link_revoked_at=registration.link_revoked_at,
    )


def _event(request: OrganisationRequest, event_id: int) -> Event:
    return access.event_for(request.organisation, event_id)


def _organisation(organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise ValidationError({"organisation_id": _("No organisation of the directory has it.")})
    return organisation


# --- the owner's events ---------------------------------------------------------------------


@router.get("/orgs/{org}/events", response=list[EventOut], summary="The organisation's events")
@api_organisation_operation("advocacy.manage")
def list_events(request: OrganisationRequest, org: str) -> list[EventOut]:
    return [_event_out(event) for event in access.events_of(request.organisation)]


@router.post("/orgs/{org}/events", response={201: EventOut, 400: Message}, summary="Draft an event")
@api_organisation_operation("advocacy.manage")
def create_event(request: OrganisationRequest, org: str, payload: EventIn) -> Status[EventOut]:
    values = payload.model_dump(
        exclude_unset=True, exclude={"language", "title", "starts_at", "ends_at"}
    )
    event = actions.create_event(
        actor=request.user,
        owner=request.organisation,
        title=payload.title,
        language=payload.language,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        values=values,
        request=request,
    )
    return Status(201, _event_out(event))


@router.get("/orgs/{org}/events/{event_id}", response=EventOut, summary="One event")
@api_organisation_operation("advocacy.manage")
def get_event(request: OrganisationRequest, org: str, event_id: int) -> EventOut:
    return _event_out(_event(request, event_id))


@router.patch(
    "/orgs/{org}/events/{event_id}",
    response={200: EventOut, 400: Message},
    summary="Change an event (registrants hear of a new time or place)",
)
@api_organisation_operation("advocacy.manage")
def update_event(
    request: OrganisationRequest, org: str, event_id: int, payload: EventFields
) -> EventOut:
    changed = actions.update_event(
        actor=request.user,
        event=_event(request, event_id),
        changes=payload.model_dump(exclude_unset=True),
        request=request,
    )
    return _event_out(changed)


@router.post(
    "/orgs/{org}/events/{event_id}/status",
    response={200: EventOut, 400: Message},
    summary="Publish, cancel or withdraw an event (cancelling and withdrawing need a reason)",
)
@api_organisation_operation("advocacy.manage")
def move_event(
    request: OrganisationRequest, org: str, event_id: int, payload: EventMoveIn
) -> EventOut:
    moved = actions.move_event(
        actor=request.user,
        event=_event(request, event_id),
        move=payload.move,
        reason=payload.reason,
        request=request,
    )
    return _event_out(moved)


@router.put(
    "/orgs/{org}/events/{event_id}/texts",
    response={200: list[EventTextOut], 400: Message},
    summary="Set the title and description in one more language (an empty title removes it)",
)
@api_organisation_operation("advocacy.manage")
def set_text(
    request: OrganisationRequest, org: str, event_id: int, payload: EventTextIn
) -> list[EventTextOut]:
    event = _event(request, event_id)
    actions.set_text(
        actor=request.user,
        event=event,
        language=payload.language,
        title=payload.title,
        description=payload.description,
        request=request,
    )
    return _texts(event)


@router.get(
    "/orgs/{org}/events/{event_id}/meeting",
    response=MeetingOut,
    summary="The shared meeting link and joining details (the owner only)",
)
@api_organisation_operation("advocacy.manage")
def get_meeting(request: OrganisationRequest, org: str, event_id: int) -> MeetingOut:
    secret = actions.secret_of(_event(request, event_id))
    return MeetingOut(meeting_url=secret.meeting_url, joining_details=secret.joining_details)


@router.put(
    "/orgs/{org}/events/{event_id}/meeting",
    response={200: MeetingOut, 400: Message},
    summary="Set the shared meeting link registrants receive through their personal link",
)
@api_organisation_operation("advocacy.manage")
def set_meeting(
    request: OrganisationRequest, org: str, event_id: int, payload: MeetingIn
) -> MeetingOut:
    secret = actions.set_secret(
        actor=request.user,
        event=_event(request, event_id),
        meeting_url=payload.meeting_url,
        joining_details=payload.joining_details,
        request=request,
    )
    return MeetingOut(meeting_url=secret.meeting_url, joining_details=secret.joining_details)


@router.post(
    "/orgs/{org}/events/{event_id}/partners",
    response={201: list[PartnerOut], 400: Message},
    summary="Name a directory organisation as co-organiser, co-host, co-sponsor or cooperation",
)
@api_organisation_operation("advocacy.manage")
def add_partner(
    request: OrganisationRequest, org: str, event_id: int, payload: PartnerIn
) -> Status[list[PartnerOut]]:
    event = _event(request, event_id)
    organisation = _organisation(payload.organisation_id)
    assert organisation is not None
    actions.add_partner(
        actor=request.user,
        event=event,
        organisation=organisation,
        role=payload.role,
        request=request,
    )
    return Status(201, _event_out(event).partners)


@router.post(
    "/orgs/{org}/events/{event_id}/partners/removals",
    response={200: list[PartnerOut], 400: Message},
    summary="Take an organisation off the event",
)
@api_organisation_operation("advocacy.manage")
def remove_partner(
    request: OrganisationRequest, org: str, event_id: int, payload: PartnerRemoveIn
) -> list[PartnerOut]:
    event = _event(request, event_id)
    actions.remove_partner(
        actor=request.user, event=event, partner_id=payload.partner_id, request=request
    )
    return _event_out(event).partners


@router.put(
    "/orgs/{org}/events/{event_id}/partners/order",
    response={200: list[PartnerOut], 400: Message},
    summary="Put the partners in order (the public page names them so, under their roles)",
)
@api_organisation_operation("advocacy.manage")
def order_partners(
    request: OrganisationRequest, org: str, event_id: int, payload: OrderIn
) -> list[PartnerOut]:
    event = _event(request, event_id)
    actions.order_partners(actor=request.user, event=event, ids=payload.ids, request=request)
    return _event_out(event).partners


# --- speakers and the programme -------------------------------------------------------------


@router.get(
    "/orgs/{org}/speakers", response=list[SpeakerOut], summary="The organisation's speakers"
)
@api_organisation_operation("advocacy.manage")
def list_speakers(request: OrganisationRequest, org: str) -> list[SpeakerOut]:
    return [_speaker_out(speaker) for speaker in access.speakers_of(request.organisation)]


@router.post(
    "/orgs/{org}/speakers", response={201: SpeakerOut, 400: Message}, summary="Add a speaker"
)
@api_organisation_operation("advocacy.manage")
def create_speaker(
    request: OrganisationRequest, org: str, payload: SpeakerIn
) -> Status[SpeakerOut]:
    speaker = actions.save_speaker(
        actor=request.user,
        owner=request.organisation,
        name=payload.name,
        title=payload.title,
        organisation=_organisation(payload.organisation_id),
        affiliation=payload.affiliation,
        request=request,
    )
    return Status(201, _speaker_out(speaker))


@router.put(
    "/orgs/{org}/speakers/{speaker_id}",
    response={200: SpeakerOut, 400: Message},
    summary="Correct a speaker",
)
@api_organisation_operation("advocacy.manage")
def update_speaker(
    request: OrganisationRequest, org: str, speaker_id: int, payload: SpeakerIn
) -> SpeakerOut:
    speaker = actions.save_speaker(
        actor=request.user,
        owner=request.organisation,
        name=payload.name,
        title=payload.title,
        organisation=_organisation(payload.organisation_id),
        affiliation=payload.affiliation,
        speaker=access.speaker_for(request.organisation, speaker_id),
        request=request,
    )
    return _speaker_out(speaker)


@router.get(
    "/orgs/{org}/events/{event_id}/sessions",
    response=list[SessionOut],
    summary="The programme: sessions in time order with their speakers",
)
@api_organisation_operation("advocacy.manage")
def list_sessions(request: OrganisationRequest, org: str, event_id: int) -> list[SessionOut]:
    return [_session_out(session) for session in access.programme_of(_event(request, event_id))]


@router.post(
    "/orgs/{org}/events/{event_id}/sessions",
    response={201: SessionOut, 400: Message},
    summary="Add a session to the programme",
)
@api_organisation_operation("advocacy.manage")
def create_session(
    request: OrganisationRequest, org: str, event_id: int, payload: SessionIn
) -> Status[SessionOut]:
    session = actions.save_session(
        actor=request.user,
        event=_event(request, event_id),
        values=payload.model_dump(),
        request=request,
    )
    return Status(201, _session_out(session, []))


@router.put(
    "/orgs/{org}/events/{event_id}/sessions/{session_id}",
    response={200: SessionOut, 400: Message},
    summary="Change a session",
)
@api_organisation_operation("advocacy.manage")
def update_session(
    request: OrganisationRequest, org: str, event_id: int, session_id: int, payload: SessionIn
) -> SessionOut:
    event = _event(request, event_id)
    session = actions.save_session(
        actor=request.user,
        event=event,
        values=payload.model_dump(),
        session=access.session_for(event, session_id),
        request=request,
    )
    return _session_out(session)


@router.delete(
    "/orgs/{org}/events/{event_id}/sessions/{session_id}",
    response={204: None},
    summary="Take a session out of the programme",
)
@api_organisation_operation("advocacy.manage")
def delete_session(
    request: OrganisationRequest, org: str, event_id: int, session_id: int
) -> Status[None]:
    event = _event(request, event_id)
    actions.remove_session(
        actor=request.user,
        event=event,
        session=access.session_for(event, session_id),
        request=request,
    )
    return Status(204, None)


@router.post(
    "/orgs/{org}/events/{event_id}/sessions/{session_id}/speakers",
    response={201: SessionOut, 400: Message},
    summary="Put a speaker in a session, in a role, with a talk title",
)
@api_organisation_operation("advocacy.manage")
def add_session_speaker(
    request: OrganisationRequest,
    org: str,
    event_id: int,
    session_id: int,
    payload: PlacementIn,
) -> Status[SessionOut]:
    event = _event(request, event_id)
    session = access.session_for(event, session_id)
    speaker = Speaker.objects.filter(owner=request.organisation, pk=payload.speaker_id).first()
    if speaker is None:
        raise ValidationError({"speaker_id": _("Choose one of your organisation's speakers.")})
    actions.add_session_speaker(
        actor=request.user,
        session=session,
        speaker=speaker,
        role=payload.role,
        talk_title=payload.talk_title,
        request=request,
    )
    return Status(201, _session_out(access.session_for(event, session_id)))


@router.post(
    "/orgs/{org}/events/{event_id}/sessions/{session_id}/speakers/removals",
    response={200: SessionOut, 400: Message},
    summary="Take a speaker out of a session",
)
@api_organisation_operation("advocacy.manage")
def remove_session_speaker(
    request: OrganisationRequest,
    org: str,
    event_id: int,
    session_id: int,
    payload: PlacementRemoveIn,
) -> SessionOut:
    event = _event(request, event_id)
    session = access.session_for(event, session_id)
    actions.remove_session_speaker(
        actor=request.user, session=session, placement_id=payload.placement_id, request=request
    )
    return _session_out(session)


@router.put(
    "/orgs/{org}/events/{event_id}/sessions/{session_id}/speakers/order",
    response={200: SessionOut, 400: Message},
    summary="Put the session's speakers in order (ids of their placements)",
)
@api_organisation_operation("advocacy.manage")
def order_session_speakers(
    request: OrganisationRequest, org: str, event_id: int, session_id: int, payload: OrderIn
) -> SessionOut:
    event = _event(request, event_id)
    session = access.session_for(event, session_id)
    session.event = event
    actions.order_session_speakers(
        actor=request.user, session=session, ids=payload.ids, request=request
    )
    return _session_out(session)


# --- registration questions and invitation codes --------------------------------------------


def _question(event: Event, question_id: int) -> Question:
    question = access.question_on(event, question_id)
    if question is None:
        raise ValidationError({"question_id": _("This question is not on the form.")})
    return question


@router.get(
    "/orgs/{org}/events/{event_id}/questions",
    response=list[QuestionOut],
    summary="The questions of the registration form",
)
@api_organisation_operation("advocacy.manage")
def list_questions(request: OrganisationRequest, org: str, event_id: int) -> list[QuestionOut]:
    event = _event(request, event_id)
    return [_question_out(question) for question in access.questions_of(event)]


@router.post(
    "/orgs/{org}/events/{event_id}/questions",
    response={200: QuestionOut, 400: Message},
    summary="Add a question to the registration form, or change one (question_id): once "
    "answered, its type stays and the choices picked stay",
)
@api_organisation_operation("advocacy.manage")
def save_question(
    request: OrganisationRequest, org: str, event_id: int, payload: QuestionIn
) -> QuestionOut:
    event = _event(request, event_id)
    existing = None
    if payload.question_id is not None:
        existing = _question(event, payload.question_id)
    question = actions.save_question(
        actor=request.user,
        event=event,
        label=payload.label,
        kind=payload.kind,
        required=payload.required,
        help_text=payload.help_text,
        choices=payload.choices,
        show_at_door=payload.show_at_door,
        question=existing,
        request=request,
    )
    return _question_out(question)


@router.put(
    "/orgs/{org}/events/{event_id}/questions/texts",
    response={200: QuestionOut, 400: Message},
    summary="Set a question's wording, help and choices in one of the event's languages (an "
    "empty label removes it); choices match the original's line for line",
)
@api_organisation_operation("advocacy.manage")
def set_question_text(
    request: OrganisationRequest, org: str, event_id: int, payload: QuestionTextIn
) -> QuestionOut:
    event = _event(request, event_id)
    question = _question(event, payload.question_id)
    actions.set_question_text(
        actor=request.user,
        event=event,
        question=question,
        language=payload.language,
        label=payload.label,
        help_text=payload.help_text,
        choices=payload.choices,
        request=request,
    )
    return _question_out(question)


@router.post(
    "/orgs/{org}/events/{event_id}/questions/removals",
    response={200: list[QuestionOut], 400: Message},
    summary="Stop asking a question",
)
@api_organisation_operation("advocacy.manage")
def remove_question(
    request: OrganisationRequest, org: str, event_id: int, payload: QuestionRemoveIn
) -> list[QuestionOut]:
    event = _event(request, event_id)
    actions.remove_question(
        actor=request.user, event=event, question_id=payload.question_id, request=request
    )
    return [_question_out(question) for question in access.questions_of(event)]


@router.put(
    "/orgs/{org}/events/{event_id}/questions/order",
    response={200: list[QuestionOut], 400: Message},
    summary="Put the registration form's questions in order",
)
@api_organisation_operation("advocacy.manage")
def order_questions(
    request: OrganisationRequest, org: str, event_id: int, payload: OrderIn
) -> list[QuestionOut]:
    event = _event(request, event_id)
    actions.order_questions(actor=request.user, event=event, ids=payload.ids, request=request)
    return [_question_out(question) for question in access.questions_of(event)]


@router.get(
    "/orgs/{org}/events/{event_id}/invitation-codes",
    response=list[CodeOut],
    summary="The invitation codes of an invitation-only event",
)
@api_organisation_operation("advocacy.manage")
def list_codes(request: OrganisationRequest, org: str, event_id: int) -> list[CodeOut]:
    event = _event(request, event_id)
    return [_code_out(code) for code in InvitationCode.objects.filter(event=event)]


@router.post(
    "/orgs/{org}/events/{event_id}/invitation-codes",
    response={201: CodeOut, 400: Message},
    summary="Make an invitation code",
)
@api_organisation_operation("advocacy.manage")
def create_code(
    request: OrganisationRequest, org: str, event_id: int, payload: CodeIn
) -> Status[CodeOut]:
    code = actions.create_invitation_code(
        actor=request.user,
        event=_event(request, event_id),
        label=payload.label,
        uses_allowed=payload.uses_allowed,
        request=request,
    )
    return Status(201, _code_out(code))


@router.post(
    "/orgs/{org}/events/{event_id}/invitation-codes/revocations",
    response={200: list[CodeOut], 400: Message},
    summary="Revoke an invitation code (registrations made with it stay)",
)
@api_organisation_operation("advocacy.manage")
def revoke_code(
    request: OrganisationRequest, org: str, event_id: int, payload: CodeRevokeIn
) -> list[CodeOut]:
    event = _event(request, event_id)
    actions.revoke_invitation_code(
        actor=request.user, event=event, code_id=payload.code_id, request=request
    )
    return [_code_out(code) for code in InvitationCode.objects.filter(event=event)]


# --- registrations --------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/events/{event_id}/registrations",
    response=RegistrationPage,
    summary="The registrations (personal data: every listing is audited)",
)
@api_organisation_operation("advocacy.manage")
def list_registrations(
    request: OrganisationRequest, org: str, event_id: int, filters: Query[RegistrationQuery]
) -> RegistrationPage:
    event = _event(request, event_id)
    registrations = access.registrations_of(event, filters.status or "")
    with scope(organisation=event.owner_id):
        page = list(registrations[filters.offset : filters.offset + filters.limit])
        count = registrations.count()
    audit.record(
        "event.registrations_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=event,
        details={"count": len(page), "status": filters.status or ""},
        request=request,
    )
    return RegistrationPage(count=count, items=[_registration_out(row) for row in page])


@router.post(
    "/orgs/{org}/events/{event_id}/registrations/{registration_id}/cancellation",
    response={200: Cancelled, 400: Message},
    summary="Cancel a registration (its place goes to the waiting list)",
)
@api_organisation_operation("advocacy.manage")
def cancel_registration(
    request: OrganisationRequest, org: str, event_id: int, registration_id: uuid.UUID
) -> Cancelled:
    event = _event(request, event_id)
    registration = access.registration_for(event, registration_id)
    count = actions.cancel_registrations(
        event=event, registrations=[registration], actor=request.user, request=request
    )
    return Cancelled(cancelled=count)


@router.post(
    "/orgs/{org}/events/{event_id}/registrations/{registration_id}/link-revocation",
    response={200: RegistrationOut, 400: Message},
    summary=(
        "Revoke the registrant's personal link and ticket, and send new ones (nothing is "
        "sent for a cancelled or withdrawn event)"
    ),
)
@api_organisation_operation("advocacy.manage")
def revoke_link(
    request: OrganisationRequest, org: str, event_id: int, registration_id: uuid.UUID
) -> RegistrationOut:
    event = _event(request, event_id)
    registration = access.registration_for(event, registration_id)
    registration.event = event
    return _registration_out(
        actions.revoke_link(actor=request.user, registration=registration, request=request)
    )


# --- the door -------------------------------------------------------------------------------


@router.post(
    "/orgs/{org}/events/{event_id}/check-ins",
    response={200: CheckInResults, 400: Message},
    summary="Check in a batch of scans (queued offline, say); one result per scan, in order",
)
@api_organisation_operation("events.check_in")
def check_in(
    request: OrganisationRequest, org: str, event_id: int, payload: CheckInBatch
) -> CheckInResults:
    # As at the door page: a draft, cancelled or withdrawn event has no door.
    event = access.door_event_for(request.organisation, event_id)
    results = []
    for item in payload.check_ins:
        registration = None
        if item.registration_id is not None:
            try:
                registration = access.registration_for(event, item.registration_id)
            except Http404:
                registration = None
        done = actions.check_in(
            actor=request.user,
            event=event,
            code=item.code if item.registration_id is None else "",
            registration=registration,
            id_checked=item.id_checked,
            scanned_at=item.scanned_at,
            offline=item.offline,
            request=request,
        )
        found = done.registration
        results.append(
            CheckInOut(
                result=done.result,
                message=str(CheckInResult(done.result).label),
                admitted=done.admitted,
                registration_id=found.pk if found is not None else None,
                name=found.name if found is not None else "",
                checked_in_at=done.checked_in_at,
            )
        )
    return CheckInResults(results=results)


@router.get(
    "/orgs/{org}/events/{event_id}/counts",
    response=Counts,
    summary="Live counts: registered, waiting, offered, cancelled, checked in",
)
@api_organisation_operation("events.check_in")
def live_counts(request: OrganisationRequest, org: str, event_id: int) -> Counts:
    event = access.door_event_for(request.organisation, event_id)
    return Counts(capacity=event.capacity, places_taken=event.places_taken, **access.counts(event))


@router.get(
    "/orgs/{org}/door/events",
    response=list[DoorEventOut],
    summary="The events the door may check in at: published, from today to two weeks ahead",
)
@api_organisation_operation("events.check_in")
def list_door_events(request: OrganisationRequest, org: str) -> list[DoorEventOut]:
    return [
        DoorEventOut(
            id=event.pk,
            title=event.title,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            timezone=event.timezone,
            venue_name=event.venue_name,
            id_check=event.id_check,
        )
        for event in access.door_events_of(request.organisation)
    ]


@router.get(
    "/orgs/{org}/events/{event_id}/door/registrants",
    response={200: list[DoorRegistrantOut], 400: Message},
    summary=(
        "Search a published event's registrants by name, as the door page does (at most 20; "
        "never e-mails; each search audited)"
    ),
)
@api_organisation_operation("events.check_in")
def search_door_registrants(
    request: OrganisationRequest, org: str, event_id: int, filters: Query[DoorSearchQuery]
) -> list[DoorRegistrantOut]:
    event = access.door_event_for(request.organisation, event_id)
    found = door.search(request, event, filters.q)
    return [DoorRegistrantOut.model_validate(row) for row in found]


@router.get(
    "/orgs/{org}/events/{event_id}/door/list",
    response=DoorListOut,
    summary=(
        "The ticket list of a published event for a door working offline, as the door page "
        "keeps it: digests, states, names sealed per ticket (each download audited)"
    ),
)
@api_organisation_operation("events.check_in")
def door_list(request: OrganisationRequest, org: str, event_id: int) -> DoorListOut:
    event = access.door_event_for(request.organisation, event_id)
    return DoorListOut.model_validate(door.offline_list(request, event))


# --- public operations ----------------------------------------------------------------------


def _summary_values(event: Event) -> dict[str, object]:
    return {
        "owner": event.owner.name,
        "owner_slug": event.owner.slug,
        "slug": event.slug,
        "kind": event.kind,
        "status": event.status,
        "language": event.language,
        "title": event.title,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "in_person": event.in_person,
        "online": event.online,
        "city": event.city,
        "country": str(event.country or ""),
        "languages": list(event.languages or []),
        "accepting_registrations": access.accepts_registrations(event),
        "full": event.full,
    }


@router.get(
    "/events",
    response=list[PublicEventSummary],
    auth=None,
    summary=(
        "Published public events of the network (never invitation-only ones): upcoming or "
        "past, by type, country, language"
    ),
)
@api_public_operation
def public_events(
    request: HttpRequest, filters: Query[PublicEventQuery]
) -> list[PublicEventSummary]:
    events = access.published_events(past=filters.when == "past")
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.country:
        events = events.filter(country=filters.country.upper())
    chosen = list(events[: filters.offset + filters.limit + 1000])
    if filters.language:
        chosen = [
            event
            for event in chosen
            if filters.language
            in access.languages_heard(event.language, event.languages, event.interpretation)
        ]
    page = chosen[filters.offset : filters.offset + filters.limit]
    return [PublicEventSummary(**_summary_values(event)) for event in page]  # type: ignore[arg-type]


@router.get(
    "/events/{org}/{event}",
    response={200: PublicEvent, 410: Message},
    auth=None,
    summary=(
        "A published event with its programme (public; never the meeting link, nor the "
        "venue of an invitation-only event)"
    ),
)
@api_public_operation
def public_event(request: HttpRequest, org: str, event: str) -> Status[Message] | PublicEvent:
    found = access.public_event(org, event)
    if found.status == EventStatus.WITHDRAWN:
        return Status(410, Message(detail=withdrawn_answer()))
    with scope(organisation=found.owner):
        programme = [_session_out(session) for session in access.programme_of(found)]
        questions = [_question_out(question) for question in access.questions_of(found)]
        partners = [
            PublicPartner(organisation=partner.organisation.name, role=partner.role)
            for partner in _partners(found)
        ]
        texts = _texts(found)
    hidden = venue_hidden(found)
    return PublicEvent(
        **_summary_values(found),  # type: ignore[arg-type]
        description=found.description,
        # An invitation-only event's venue goes to its registrants only (its city stays).
        venue_name="" if hidden else found.venue_name,
        venue_address="" if hidden else found.venue_address,
        room="" if hidden else found.room,
        interpretation=list(found.interpretation or []),
        visibility=found.visibility,
        registration_closes_at=found.registration_closes_at,
        places_left=found.places_left,
        waiting_list=found.waiting_list,
        group_size=found.group_size,
        id_check=found.id_check,
        recording_url=found.recording_url,
        report_url=found.report_url,
        cancel_reason=found.cancel_reason if found.status == EventStatus.CANCELLED else "",
        texts=texts,
        partners=partners,
        programme=programme,
        questions=questions,
    )


def withdrawn_answer() -> str:
    return _("This event was withdrawn by its organisers.")


def register_answer() -> str:
    return _(
        "Thank you. Unless this address is already registered for the event, an e-mail with "
        "your registration is on its way; if it is, the registration is e-mailed again."
    )


@cache
def _registered_body(language: str) -> bytes:
    # The same words answer every registration in a language: drawn once, as ninja would
    # render the Message, instead of validated and serialised again on every request of a
    # rush (bench/registration_rush.py).
    return json.dumps(Message(detail=register_answer()).model_dump()).encode()


def registered_response() -> HttpResponse:
    """The 202 of a registration, in the active language."""
    return HttpResponse(
        _registered_body(get_language()),
        status=202,
        content_type="application/json; charset=utf-8",
    )


@router.post(
    "/events/{org}/{event}/registrations",
    response={202: Message, 400: Message, 410: Message, 429: Message},
    auth=None,
    summary="Register (public); the answer is the same whether or not the address registered",
)
@api_public_operation
def register(
    request: HttpRequest, org: str, event: str, payload: RegisterIn
) -> Status[Message] | HttpResponse:
    found, questions = access.event_for_registration(org, event)
    if found.status == EventStatus.WITHDRAWN:
        return Status(410, Message(detail=withdrawn_answer()))
    address = checked_email(str(payload.email))
    check_public_submission(
        request, scope="event-register", address=canonical_email(address), target=found.pk
    )
    if is_blocked_domain(address):
        raise ValidationError({"email": throwaway_refusal()})
    with scope(organisation=found.owner):
        actions.register(
            event=found,
            name=payload.name,
            email=address,
            answers=payload.answers,
            companions=payload.companions,
            code=payload.code,
            language=payload.language[:8],
            questions=questions,
        )
    return registered_response()

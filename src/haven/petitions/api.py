"""API of petitions: the owner's operations, and the public's signature and confirmation.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django_scopes import scope
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from haven.abuse.addresses import checked_email, is_blocked_domain, normalise_email
from haven.abuse.ratelimit import check_public_submission
from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_public_operation,
)
from haven.api.schemas import EmailAddress, Moment
from haven.organisations.api import Body, Message
from haven.petitions import access, actions
from haven.petitions.models import Petition, Signature, SignatureStatus
from haven.privacy import audit

router = Router(tags=["petitions"])

LARGEST_ID = 2**63 - 1


class PetitionOut(Schema):
    id: int
    slug: str
    status: str = Field(description="Closed once the closing time has passed")
    paused: bool = Field(description="Signing paused by the owner while the petition is open")
    language: str
    title: str
    addressee: str
    summary: str
    body: str
    closes_at: datetime | None
    goal: int | None
    consent_text: str
    blocked_domains: str
    show_comments: bool
    anonymise_after_days: int
    hashtags: str
    confirmed: int
    opened_at: datetime | None
    closed_at: datetime | None
    anonymised_at: datetime | None


class PetitionFields(Body):
    title: str | None = Field(None, min_length=1, max_length=300)
    addressee: str | None = Field(None, max_length=300)
    summary: str | None = Field(None, max_length=500)
    body: str | None = Field(None, min_length=1, max_length=50_000)
    closes_at: Moment | None = None
    goal: StrictInt | None = Field(None, ge=1, le=actions.LARGEST_GOAL)
    consent_text: str | None = Field(None, max_length=500)
    blocked_domains: str | None = Field(None, max_length=10_000)
    show_comments: StrictBool | None = None
    anonymise_after_days: StrictInt | None = Field(None, ge=1, le=actions.LONGEST_RETENTION_DAYS)
    hashtags: str | None = Field(None, max_length=200)


class PetitionIn(PetitionFields):
    language: str = Field(..., min_length=2, max_length=8, pattern=r"^[a-z]{2,3}$", examples=["en"])
    title: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1, max_length=50_000)


class PetitionMoveIn(Body):
    move: Literal["open", "pause", "resume", "close"]


class PetitionSignatureOut(Schema):
    id: uuid.UUID
    status: str
    name: str
    email: str
    country: str
    comment: str
    show_name: bool
    contact_consent: bool
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    invalidated_at: datetime | None


class PetitionSignaturePage(Schema):
    count: int
    items: list[PetitionSignatureOut]


class PetitionSignatureQuery(Schema):
    status: Literal["pending", "confirmed", "invalidated"] | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)


class PetitionInvalidateIn(Body):
    signature_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    domain: str = Field("", max_length=253)
    created_from: Moment | None = None
    created_to: Moment | None = None
    reason: str = Field("", max_length=200)


class PetitionInvalidated(Schema):
    invalidated: int


class PublicPetition(Schema):
    owner: str
    title: str
    addressee: str
    summary: str
    body: str
    language: str
    status: str
    accepting_signatures: bool
    closes_at: datetime | None
    goal: int | None
    count: int
    consent_text: str


class PetitionSignIn(Body):
    name: str = Field(..., min_length=1, max_length=200)
    email: EmailAddress = Field(..., max_length=254)
    country: str = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
    comment: str = Field("", max_length=1000)
    show_name: StrictBool = False
    contact_consent: StrictBool = False
    language: str = Field("en", max_length=8)


class PetitionTokenIn(Body):
    token: str = Field(..., min_length=1, max_length=300)


_NOT_FROM_THE_ROW = {"status", "paused", "confirmed"}


def _petition_out(petition: Petition) -> PetitionOut:
    values = {
        name: getattr(petition, name)
        for name in PetitionOut.model_fields
        if name not in _NOT_FROM_THE_ROW
    }
    now = timezone.now()
    return PetitionOut(
        **values,
        status=access.status_now(petition, now),
        paused=access.signing_paused(petition, now),
        confirmed=access.confirmed_count(petition),
    )


def _signature_out(signature: Signature) -> PetitionSignatureOut:
    return PetitionSignatureOut(
        id=signature.pk,
        status=signature.status,
        name=signature.name,
        email=signature.email,
        country=str(signature.country or ""),
        comment=signature.comment,
        show_name=signature.show_name,
        contact_consent=signature.contact_consent,
        language=signature.language,
        created_at=signature.created_at,
        confirmed_at=signature.confirmed_at,
        invalidated_at=signature.invalidated_at,
    )


@router.get(
    "/orgs/{org}/petitions", response=list[PetitionOut], summary="The organisation's petitions"
)
@api_organisation_operation("advocacy.manage")
def list_petitions(request: OrganisationRequest, org: str) -> list[PetitionOut]:
    return [_petition_out(petition) for petition in access.petitions_of(request.organisation)]


@router.post(
    "/orgs/{org}/petitions", response={201: PetitionOut, 400: Message}, summary="Start a petition"
)
@api_organisation_operation("advocacy.manage")
def create_petition(
    request: OrganisationRequest, org: str, payload: PetitionIn
) -> Status[PetitionOut]:
    values = payload.model_dump(exclude_unset=True, exclude={"language", "title", "body"})
    petition = actions.create_petition(
        actor=request.user,
        owner=request.organisation,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        values=values,
        request=request,
    )
    return Status(201, _petition_out(petition))


@router.get("/orgs/{org}/petitions/{petition_id}", response=PetitionOut, summary="One petition")
@api_organisation_operation("advocacy.manage")
def get_petition(request: OrganisationRequest, org: str, petition_id: int) -> PetitionOut:
    return _petition_out(access.petition_for(request.organisation, petition_id))


@router.patch(
    "/orgs/{org}/petitions/{petition_id}",
    response={200: PetitionOut, 400: Message},
    summary="Change a petition's text or settings",
)
@api_organisation_operation("advocacy.manage")
def update_petition(
    request: OrganisationRequest, org: str, petition_id: int, payload: PetitionFields
) -> PetitionOut:
    petition = access.petition_for(request.organisation, petition_id)
    changed = actions.update_petition(
        actor=request.user,
        petition=petition,
        changes=payload.model_dump(exclude_unset=True),
        request=request,
    )
    return _petition_out(changed)


@router.post(
    "/orgs/{org}/petitions/{petition_id}/status",
    response={200: PetitionOut, 400: Message},
    summary="Open, pause, resume or close signing",
)
@api_organisation_operation("advocacy.manage")
def move_petition(
    request: OrganisationRequest, org: str, petition_id: int, payload: PetitionMoveIn
) -> PetitionOut:
    petition = access.petition_for(request.organisation, petition_id)
    moved = actions.move_petition(
        actor=request.user, petition=petition, move=payload.move, request=request
    )
    return _petition_out(moved)


@router.get(
    "/orgs/{org}/petitions/{petition_id}/signatures",
    response=PetitionSignaturePage,
    summary="The signatures (personal data: every listing is audited)",
)
@api_organisation_operation("advocacy.manage")
def list_signatures(
    request: OrganisationRequest, org: str, petition_id: int, filters: Query[PetitionSignatureQuery]
) -> PetitionSignaturePage:
    petition = access.petition_for(request.organisation, petition_id)
    signatures = access.signatures_of(petition, filters.status or "")
    page = list(signatures[filters.offset : filters.offset + filters.limit])
    audit.record(
        "petition.signatures_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=petition,
        details={"count": len(page), "status": filters.status or ""},
        request=request,
    )
    return PetitionSignaturePage(count=signatures.count(), items=[_signature_out(s) for s in page])


@router.post(
    "/orgs/{org}/petitions/{petition_id}/invalidations",
    response={200: PetitionInvalidated, 400: Message},
    summary="Invalidate fraudulent signatures in bulk: by id, e-mail domain or time window",
)
@api_organisation_operation("advocacy.manage")
def invalidate(
    request: OrganisationRequest, org: str, petition_id: int, payload: PetitionInvalidateIn
) -> PetitionInvalidated:
    petition = access.petition_for(request.organisation, petition_id)
    count = actions.invalidate_signatures(
        actor=request.user,
        petition=petition,
        signature_ids=payload.signature_ids,
        domain=payload.domain,
        created_from=payload.created_from,
        created_to=payload.created_to,
        reason=payload.reason,
        request=request,
    )
    return PetitionInvalidated(invalidated=count)


# --- public operations --------------------------------------------------------------------


@router.get(
    "/petitions/{org}/{petition}",
    response=PublicPetition,
    auth=None,
    summary="A petition and its confirmed count (public)",
)
@api_public_operation
def public_petition(request: HttpRequest, org: str, petition: str) -> PublicPetition:
    found = access.public_petition(org, petition)
    return PublicPetition(
        owner=found.owner.name,
        title=found.title,
        addressee=found.addressee,
        summary=found.summary,
        body=found.body,
        language=found.language,
        status=access.status_now(found),
        accepting_signatures=access.accepts_signatures(found),
        closes_at=found.closes_at,
        goal=found.goal,
        count=access.public_count(found),
        consent_text=found.consent_text,
    )


SIGN_ANSWER = (
    "Thank you. Unless this address has already signed, an e-mail is on its way: "
    "the signature counts once its link is confirmed."
)


@router.post(
    "/petitions/{org}/{petition}/signatures",
    response={202: Message, 400: Message, 429: Message},
    auth=None,
    summary="Sign (public); the answer is the same whether or not the address signed before",
)
@api_public_operation
def sign(request: HttpRequest, org: str, petition: str, payload: PetitionSignIn) -> Status[Message]:
    found = access.public_petition(org, petition)
    address = checked_email(str(payload.email))
    check_public_submission(
        request, scope="petition-sign", address=normalise_email(address), target=found.pk
    )
    if is_blocked_domain(address, extra=found.blocked_domain_list()):
        raise ValidationError({"email": "Please sign with a permanent e-mail address."})
    with scope(organisation=found.owner):
        actions.sign_petition(
            petition=found,
            name=payload.name.strip(),
            email=address,
            country=payload.country.upper(),
            comment=payload.comment.strip(),
            show_name=payload.show_name,
            contact_consent=payload.contact_consent,
            language=payload.language[:8],
        )
    return Status(202, Message(detail=SIGN_ANSWER))


@router.post(
    "/petitions/{org}/{petition}/confirmations",
    response={200: Message, 400: Message},
    auth=None,
    summary="Confirm a signature with the token of its e-mail link (public)",
)
@api_public_operation
def confirm(request: HttpRequest, org: str, petition: str, payload: PetitionTokenIn) -> Message:
    found = access.public_petition(org, petition)
    signature = access.signature_from_token(found, payload.token)
    if signature is None:
        raise ValidationError({"token": "This link is incomplete or too old."})
    with scope(organisation=found.owner):
        actions.confirm_signature(signature=signature)
        signature.refresh_from_db(fields=["status"])
    if signature.status != SignatureStatus.CONFIRMED:
        raise ValidationError(
            {"token": "This signature does not count: the organisers have set it aside."}
        )
    return Message(detail="Thank you: your signature counts.")

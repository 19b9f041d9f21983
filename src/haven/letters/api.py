"""API of letters and joint statements: the owner's drafting and workflow, signing in an
organisation's name, and the public letter, request to sign and its confirmation.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
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
from haven.api.schemas import Day, EmailAddress, Moment
from haven.letters import access, actions
from haven.letters.models import (
    Letter,
    LetterKind,
    LetterStatus,
    LetterText,
    OrganisationSignature,
    SignatoryCategory,
    SignatoryOrder,
)
from haven.organisations.access import organisation_by_id
from haven.organisations.api import Body, Message
from haven.privacy import audit

router = Router(tags=["letters"])

LARGEST_ID = 2**63 - 1
LanguageCode = Field(..., min_length=2, max_length=8, pattern=r"^[a-z]{2,3}$", examples=["en"])


class LetterTextOut(Schema):
    language: str
    title: str
    body: str
    annex: str
    evidence: str
    footnote: str


class LetterGroupOut(Schema):
    id: int
    name: str
    translations: dict[str, str]
    position: int
    open_to_requests: bool


class LetterSummary(Schema):
    id: int
    slug: str
    kind: str
    status: str
    title: str
    original_language: str
    version: int
    signature_deadline: datetime | None
    publish_at: datetime | None


class LetterOut(LetterSummary):
    addressees: str
    letter_date: date | None
    contact_name: str
    contact_role: str
    contact_email: str
    contact_phone: str
    hashtags: str
    signatory_order: str
    withdrawal_reason: str
    signatures: int
    texts: list[LetterTextOut]
    categories: list[LetterGroupOut]


class LetterFields(Body):
    kind: LetterKind | None = None
    addressees: str | None = Field(None, max_length=2000)
    letter_date: Day | None = None
    signature_deadline: Moment | None = None
    publish_at: Moment | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_role: str | None = Field(None, max_length=200)
    contact_email: EmailAddress | None = Field(None, max_length=254)
    contact_phone: str | None = Field(None, max_length=40)
    hashtags: str | None = Field(None, max_length=200)
    signatory_order: SignatoryOrder | None = None


class LetterIn(LetterFields):
    language: str = LanguageCode
    title: str = Field(..., min_length=1, max_length=300)
    body: str = Field(..., min_length=1, max_length=100_000)


class LetterTextIn(Body):
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, min_length=1, max_length=100_000)
    annex: str | None = Field(None, max_length=200_000)
    evidence: str | None = Field(None, max_length=20_000)
    footnote: str | None = Field(None, max_length=5000)


class LetterMoveIn(Body):
    move: Literal["open", "close", "publish", "withdraw"]
    reason: str = Field("", max_length=2000)
    publish_at: Moment | None = None


class LetterGroupIn(Body):
    name: str = Field(..., min_length=1, max_length=120)
    translations: dict[str, str] = Field(default_factory=dict, max_length=50)
    position: StrictInt | None = Field(None, ge=0, le=999, description="At the end if not given.")
    open_to_requests: StrictBool = Field(
        True, description="Offered to organisations outside Haven."
    )


class LetterGroupPatch(Body):
    name: str | None = Field(None, min_length=1, max_length=120)
    translations: dict[str, str] | None = Field(None, max_length=50)
    position: StrictInt | None = Field(None, ge=0, le=999)
    open_to_requests: StrictBool | None = None


class OrganisationSignatureOut(Schema):
    id: uuid.UUID
    name: str
    country: str
    website: str
    status: str
    category_id: int | None
    position: int
    version: int
    organisation_id: int | None = Field(description="The directory entry that signs")
    signer_name: str
    signer_role: str
    signer_email: str
    requested_at: datetime
    decided_at: datetime | None
    forgotten_at: datetime | None = Field(
        description="When the signer's name, role and e-mail of a request rejected or never "
        "confirmed were blanked"
    )


class OrganisationSignatureQuery(Schema):
    status: Literal["unconfirmed", "pending", "approved", "rejected", "withdrawn"] | None = None


class LetterDecisionIn(Body):
    approve: StrictBool
    category_id: StrictInt | None = Field(None, ge=1, le=LARGEST_ID)
    organisation_id: StrictInt | None = Field(
        None, ge=1, le=LARGEST_ID, description="Link to this directory entry instead of a new one"
    )
    reason: str = Field("", max_length=500)


class LetterArrangeIn(Body):
    group: str | None = Field(None, min_length=1, max_length=120, description="The group's name")
    position: StrictInt | None = Field(None, ge=0, le=100_000)


class LetterToSign(Schema):
    id: int
    owner: str
    kind: str
    title: str
    version: int
    signature_deadline: datetime | None
    my_signature: OrganisationSignatureOut | None


class LetterSignIn(Body):
    signer_role: str = Field("", max_length=200)


class LetterSignatory(Schema):
    name: str
    country: str


class PublicLetterGroup(Schema):
    name: str
    signatories: list[LetterSignatory]


class PublicLetter(Schema):
    kind: str
    status: str
    owner: str
    language: str
    languages: list[str]
    title: str
    addressees: str
    letter_date: date | None
    body: str
    annex: str
    evidence: str
    footnote: str
    contact_name: str
    contact_email: str
    count: int
    groups: list[PublicLetterGroup]
    withdrawal_reason: str = Field(
        description="Always empty: a withdrawn letter answers 410 with its reason instead"
    )


class PublicLetterWithdrawn(Schema):
    detail: str
    title: str
    owner: str
    withdrawn_at: datetime | None
    withdrawal_reason: str


class LetterLanguageQuery(Schema):
    lang: str = Field("", max_length=8)


class LetterRequestIn(Body):
    name: str = Field(..., min_length=1, max_length=200)
    country: str = Field(..., min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$", examples=["FR"])
    category_id: StrictInt | None = Field(None, ge=1, le=LARGEST_ID)
    website: str = Field("", max_length=300, pattern=r"^(https?://\S+)?$")
    signer_name: str = Field(..., min_length=1, max_length=200)
    signer_role: str = Field(..., min_length=1, max_length=200)
    signer_email: EmailAddress = Field(..., max_length=254)
    language: str = Field("en", max_length=8)


class LetterTokenIn(Body):
    token: str = Field(..., min_length=1, max_length=300)


def _text_out(text: LetterText) -> LetterTextOut:
    return LetterTextOut(
        **{name: getattr(text, name) for name in ("language", *actions.TEXT_FIELDS)}
    )


def _category_out(category: SignatoryCategory) -> LetterGroupOut:
    return LetterGroupOut(
        id=category.pk,
        name=category.name,
        translations=dict(category.translations or {}),
        position=category.position,
        open_to_requests=category.open_to_requests,
    )


def _summary_values(letter: Letter) -> dict[str, Any]:
    return {
        "id": letter.pk,
        "slug": letter.slug,
        "kind": letter.kind,
        "status": letter.status,
        "title": access.text_in(letter, letter.original_language).title,
        "original_language": letter.original_language,
        "version": letter.version,
        "signature_deadline": letter.signature_deadline,
        "publish_at": letter.publish_at,
    }


def _letter_out(letter: Letter) -> LetterOut:
    return LetterOut(
        **_summary_values(letter),
        **{
            name: getattr(letter, name)
            for name in (
                "addressees",
                "letter_date",
                "contact_name",
                "contact_role",
                "contact_email",
                "contact_phone",
                "hashtags",
                "signatory_order",
                "withdrawal_reason",
            )
        },
        signatures=access.approved_count(letter),
        texts=[_text_out(text) for text in letter.texts.all()],
        categories=[_category_out(category) for category in access.categories_of(letter)],
    )


def _signature_out(signature: OrganisationSignature) -> OrganisationSignatureOut:
    return OrganisationSignatureOut(
        id=signature.pk,
        name=signature.name,
        country=str(signature.country or ""),
        website=signature.website,
        status=signature.status,
        category_id=signature.category_id,
        position=signature.position,
        version=signature.version,
        organisation_id=signature.signatory_id,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        signer_email=signature.signer_email,
        requested_at=signature.requested_at,
        decided_at=signature.decided_at,
        forgotten_at=signature.forgotten_at,
    )


def _fields(payload: Body, *, exclude: set[str] | None = None) -> dict[str, object]:
    values = payload.model_dump(exclude_unset=True, exclude=exclude or set())
    return {key: getattr(value, "value", value) for key, value in values.items()}


def _category(letter: Letter, category_id: int | None) -> SignatoryCategory | None:
    return access.category_for(letter, category_id) if category_id is not None else None


def _group_named(letter: Letter, name: str | None) -> SignatoryCategory | None:
    if name is None:
        return None
    category = letter.categories.filter(name=name.strip()).first()
    if category is None:
        raise ValidationError({"group": "This letter has no group of this name."})
    return category


# --- the owner's operations ---------------------------------------------------------------


@router.get(
    "/orgs/{org}/letters", response=list[LetterSummary], summary="The organisation's letters"
)
@api_organisation_operation("advocacy.manage")
def list_letters(request: OrganisationRequest, org: str) -> list[LetterSummary]:
    return [
        LetterSummary(**_summary_values(letter))
        for letter in access.letters_of(request.organisation)
    ]


@router.post(
    "/orgs/{org}/letters",
    response={201: LetterOut, 400: Message},
    summary="Draft a letter or statement in its original language",
)
@api_organisation_operation("advocacy.manage")
def create_letter(request: OrganisationRequest, org: str, payload: LetterIn) -> Status[LetterOut]:
    letter = actions.create_letter(
        actor=request.user,
        owner=request.organisation,
        title=payload.title,
        body=payload.body,
        language=payload.language,
        values=_fields(payload, exclude={"language", "title", "body"}),
        request=request,
    )
    return Status(201, _letter_out(letter))


@router.get("/orgs/{org}/letters/{letter_id}", response=LetterOut, summary="One letter")
@api_organisation_operation("advocacy.manage")
def get_letter(request: OrganisationRequest, org: str, letter_id: int) -> LetterOut:
    return _letter_out(access.letter_for(request.organisation, letter_id))


@router.patch(
    "/orgs/{org}/letters/{letter_id}",
    response={200: LetterOut, 400: Message},
    summary="Change a letter's details",
)
@api_organisation_operation("advocacy.manage")
def update_letter(
    request: OrganisationRequest, org: str, letter_id: int, payload: LetterFields
) -> LetterOut:
    letter = access.letter_for(request.organisation, letter_id)
    changed = actions.update_letter(
        actor=request.user, letter=letter, changes=_fields(payload), request=request
    )
    return _letter_out(changed)


@router.put(
    "/orgs/{org}/letters/{letter_id}/texts/{lang}",
    response={200: LetterTextOut, 400: Message},
    summary="Write the full text in one language (a new version once anyone has signed)",
)
@api_organisation_operation("advocacy.manage")
def save_text(
    request: OrganisationRequest, org: str, letter_id: int, lang: str, payload: LetterTextIn
) -> LetterTextOut:
    letter = access.letter_for(request.organisation, letter_id)
    text = actions.save_text(
        actor=request.user, letter=letter, language=lang, values=_fields(payload), request=request
    )
    return _text_out(text)


@router.post(
    "/orgs/{org}/letters/{letter_id}/status",
    response={200: LetterOut, 400: Message},
    summary="Open for signatures, close, publish (publish_at: an embargo) or withdraw",
)
@api_organisation_operation("advocacy.manage")
def move_letter(
    request: OrganisationRequest, org: str, letter_id: int, payload: LetterMoveIn
) -> LetterOut:
    letter = access.letter_for(request.organisation, letter_id)
    moved = actions.move_letter(
        actor=request.user,
        letter=letter,
        move=payload.move,
        reason=payload.reason,
        publish_at=payload.publish_at,
        request=request,
    )
    return _letter_out(moved)


@router.post(
    "/orgs/{org}/letters/{letter_id}/groups",
    response={201: LetterGroupOut, 400: Message},
    summary="Add a group of signatories",
)
@api_organisation_operation("advocacy.manage")
def add_group(
    request: OrganisationRequest, org: str, letter_id: int, payload: LetterGroupIn
) -> Status[LetterGroupOut]:
    letter = access.letter_for(request.organisation, letter_id)
    category = actions.add_category(
        actor=request.user,
        letter=letter,
        name=payload.name,
        translations=payload.translations,
        position=payload.position,
        open_to_requests=payload.open_to_requests,
        request=request,
    )
    return Status(201, _category_out(category))


@router.patch(
    "/orgs/{org}/letters/{letter_id}/groups/{category_id}",
    response={200: LetterGroupOut, 400: Message},
    summary="Rename, translate, move or close a group",
)
@api_organisation_operation("advocacy.manage")
def update_group(
    request: OrganisationRequest,
    org: str,
    letter_id: int,
    category_id: int,
    payload: LetterGroupPatch,
) -> LetterGroupOut:
    letter = access.letter_for(request.organisation, letter_id)
    category = actions.update_category(
        actor=request.user,
        category=access.category_for(letter, category_id),
        changes=_fields(payload),
        request=request,
    )
    return _category_out(category)


@router.delete(
    "/orgs/{org}/letters/{letter_id}/groups/{category_id}",
    response={204: None, 400: Message},
    summary="Remove a group that no signature uses",
)
@api_organisation_operation("advocacy.manage")
def delete_group(
    request: OrganisationRequest, org: str, letter_id: int, category_id: int
) -> Status[None]:
    letter = access.letter_for(request.organisation, letter_id)
    actions.delete_category(
        actor=request.user, category=access.category_for(letter, category_id), request=request
    )
    return Status(204, None)


@router.get(
    "/orgs/{org}/letters/{letter_id}/signatures",
    response=list[OrganisationSignatureOut],
    summary="Signatures and requests, with the signers' contact details",
)
@api_organisation_operation("advocacy.manage")
def list_signatures(
    request: OrganisationRequest,
    org: str,
    letter_id: int,
    filters: Query[OrganisationSignatureQuery],
) -> list[OrganisationSignatureOut]:
    letter = access.letter_for(request.organisation, letter_id)
    signatures = access.signatures_of(letter, *([filters.status] if filters.status else []))
    found = [_signature_out(signature) for signature in signatures.order_by("requested_at")]
    audit.record(
        "letter.signatures_listed",
        actor=request.user,
        organisation=request.organisation,
        target=letter,
        details={"count": len(found)},
        request=request,
    )
    return found


@router.post(
    "/orgs/{org}/letters/{letter_id}/signatures/{signature_id}/decision",
    response={200: OrganisationSignatureOut, 400: Message},
    summary="Approve or reject a confirmed request from an organisation outside Haven",
)
@api_organisation_operation("advocacy.manage")
def decide(
    request: OrganisationRequest,
    org: str,
    letter_id: int,
    signature_id: uuid.UUID,
    payload: LetterDecisionIn,
) -> OrganisationSignatureOut:
    letter = access.letter_for(request.organisation, letter_id)
    signature = actions.decide_request(
        actor=request.user,
        signature=access.signature_for(letter, signature_id),
        approve=payload.approve,
        category=_category(letter, payload.category_id),
        directory_entry=(
            organisation_by_id(payload.organisation_id) if payload.organisation_id else None
        ),
        reason=payload.reason,
        request=request,
    )
    return _signature_out(signature)


@router.patch(
    "/orgs/{org}/letters/{letter_id}/signatures/{signature_id}",
    response={200: OrganisationSignatureOut, 400: Message},
    summary="Move a signatory to another group or place",
)
@api_organisation_operation("advocacy.manage")
def arrange(
    request: OrganisationRequest,
    org: str,
    letter_id: int,
    signature_id: uuid.UUID,
    payload: LetterArrangeIn,
) -> OrganisationSignatureOut:
    letter = access.letter_for(request.organisation, letter_id)
    signature = actions.arrange_signature(
        actor=request.user,
        signature=access.signature_for(letter, signature_id),
        category=_group_named(letter, payload.group),
        position=payload.position,
        request=request,
    )
    return _signature_out(signature)


# --- signing in an organisation's name ----------------------------------------------------


@router.get(
    "/orgs/{org}/letters-to-sign",
    response=list[LetterToSign],
    summary="Letters open for signatures, with this organisation's signature if any",
)
@api_organisation_operation("advocacy.sign_for_organisation")
def letters_to_sign(request: OrganisationRequest, org: str) -> list[LetterToSign]:
    mine = access.signatures_by(request.organisation)
    found = []
    for letter in access.letters_to_sign():
        signature = mine.get(letter.pk)
        found.append(
            LetterToSign(
                id=letter.pk,
                owner=letter.owner.name,
                kind=letter.kind,
                title=access.text_in(letter, request.LANGUAGE_CODE).title,
                version=letter.version,
                signature_deadline=letter.signature_deadline,
                my_signature=_signature_out(signature) if signature else None,
            )
        )
    return found


@router.post(
    "/orgs/{org}/letters-to-sign/{letter_id}/signature",
    response={201: OrganisationSignatureOut, 400: Message},
    summary="Sign in the organisation's name (again: sign the changed text's new version)",
)
@api_organisation_operation("advocacy.sign_for_organisation")
def sign(
    request: OrganisationRequest, org: str, letter_id: int, payload: LetterSignIn
) -> Status[OrganisationSignatureOut]:
    letter = access.letter_to_sign(letter_id)
    existing = access.signature_of(letter, request.organisation)
    with scope(organisation=letter.owner):
        if existing is not None:
            signature = actions.confirm_version(
                actor=request.user, signature=existing, request=request
            )
        else:
            signature = actions.sign_as_organisation(
                actor=request.user,
                letter=letter,
                organisation=request.organisation,
                signer_role=payload.signer_role,
                request=request,
            )
    return Status(201, _signature_out(signature))


@router.delete(
    "/orgs/{org}/letters-to-sign/{letter_id}/signature",
    response={204: None, 400: Message, 404: Message},
    summary="Withdraw the organisation's signature while the letter is open",
)
@api_organisation_operation("advocacy.sign_for_organisation")
def withdraw(request: OrganisationRequest, org: str, letter_id: int) -> Status[None]:
    letter = access.letter_to_sign(letter_id)
    signature = access.signature_of(letter, request.organisation)
    if signature is None:
        raise ValidationError("This organisation has not signed this letter.")
    actions.withdraw_signature(actor=request.user, signature=signature, request=request)
    return Status(204, None)


# --- public operations --------------------------------------------------------------------


@router.get(
    "/letters/{org}/{letter}",
    response={200: PublicLetter, 410: PublicLetterWithdrawn},
    auth=None,
    summary=(
        "A published letter with its signatories by group (public; once withdrawn, 410 with "
        "the reason and neither text nor signatories)"
    ),
)
@api_public_operation
def public_letter(
    request: HttpRequest, org: str, letter: str, filters: Query[LetterLanguageQuery]
) -> Status[PublicLetterWithdrawn] | PublicLetter:
    found = access.public_letter(org, letter)
    with scope(organisation=found.owner):
        text = access.text_in(found, filters.lang or found.original_language)
        if found.status == LetterStatus.WITHDRAWN:
            # As the page: who withdrew it, when and why (docs/decisions/0042).
            return Status(
                410,
                PublicLetterWithdrawn(
                    detail=_("This text was withdrawn by its authors."),
                    title=text.title,
                    owner=found.owner.name,
                    withdrawn_at=found.withdrawn_at,
                    withdrawal_reason=found.withdrawal_reason,
                ),
            )
        groups = access.grouped_signatories(found, text.language)
        return PublicLetter(
            kind=found.kind,
            status=found.status,
            owner=found.owner.name,
            language=text.language,
            languages=access.languages_of(found),
            title=text.title,
            addressees=found.addressees,
            letter_date=found.letter_date,
            body=text.body,
            annex=text.annex,
            evidence=text.evidence,
            footnote=text.footnote,
            contact_name=found.contact_name,
            contact_email=found.contact_email,
            count=access.approved_count(found),
            groups=[
                PublicLetterGroup(
                    name=group.label,
                    signatories=[
                        LetterSignatory(name=s.name, country=str(s.country or ""))
                        for s in group.signatures
                    ],
                )
                for group in groups
            ],
            withdrawal_reason="",
        )


REQUEST_ANSWER = (
    "If this organisation has not already asked to sign, an e-mail is on its way to confirm "
    "the request; the organisers check each confirmed request."
)


@router.post(
    "/letters/{org}/{letter}/requests",
    response={202: Message, 400: Message, 429: Message},
    auth=None,
    summary="An organisation outside Haven asks to sign (public; confirmed by e-mail)",
)
@api_public_operation
def request_to_sign(
    request: HttpRequest, org: str, letter: str, payload: LetterRequestIn
) -> Status[Message]:
    found = access.letter_open_to_requests(org, letter)
    address = checked_email(str(payload.signer_email))
    check_public_submission(
        request, scope="letter-request", address=normalise_email(address), target=found.pk
    )
    if is_blocked_domain(address):
        raise ValidationError(
            {"signer_email": "Use your organisation's e-mail address, not a throw-away one."}
        )
    with scope(organisation=found.owner):
        actions.request_signature(
            letter=found,
            name=payload.name.strip(),
            country=payload.country.upper(),
            website=payload.website,
            category=_category(found, payload.category_id),
            signer_name=payload.signer_name.strip(),
            signer_role=payload.signer_role.strip(),
            signer_email=address,
            language=payload.language[:8],
        )
    return Status(202, Message(detail=REQUEST_ANSWER))


@router.post(
    "/letters/{org}/{letter}/requests/confirm",
    response={200: Message, 400: Message},
    auth=None,
    summary="Confirm a request to sign with the token of the e-mail link (public)",
)
@api_public_operation
def confirm_request(request: HttpRequest, org: str, letter: str, payload: LetterTokenIn) -> Message:
    found = access.letter_open_to_requests(org, letter)
    signature = access.signature_from_token(found, payload.token)
    if signature is None:
        raise ValidationError({"token": "This link is incomplete or too old."})
    with scope(organisation=found.owner):
        actions.confirm_request(signature=signature)
    return Message(detail="Confirmed: the organisers will check the request.")

"""API of the directory: networks and their public member lists, coordinators' edits of a
network's members, and an organisation's own directory entry.

No ``from __future__ import annotations`` here: django-ninja reads these annotations
through the tenancy decorators.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from haven.accounts.api import InvitedAddress
from haven.accounts.models import Invitation
from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_public_operation,
)
from haven.api.schemas import Day
from haven.organisations import access, actions
from haven.organisations.models import (
    Membership,
    MembershipCategory,
    Network,
    Organisation,
    OrganisationKind,
)

router = Router(tags=["directory"])


class Body(BaseModel):
    """A request body, which must be a JSON object (a list or a string is refused) of
    known fields only."""

    # A misspelt or unsupported field would otherwise be dropped in silence, and the
    # client told 200 for a change that was never made. A plain pydantic model, not
    # ninja's Schema: Schema validates a body that forbids extra fields twice (once as
    # sent, once wrapped for reading model attributes, which a request body never needs),
    # and every check of a field, the e-mail address's included, with it.
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # Without this check ninja reads a list as {}.
        if not isinstance(data, dict):
            raise ValueError("Send a JSON object.")
        return data


class Refusal(BaseModel):
    """Why a request was refused: messages by field, or under ``__all__``."""

    # A plain pydantic model, as ``Body``: ninja's Schema would wrap every answer for
    # reading model attributes, and these are always built from their message.

    detail: Any


# The other apps import the refusal under its old name. Only the class's own name reaches
# the OpenAPI description, so the alias does not clash with accounts' ``Message``.
Message = Refusal


class DirectoryEntry(Schema):
    organisation_id: int
    name: str
    short_name: str
    country: str
    city: str
    kind: str
    website: str
    category: str
    since: date | None
    until: date | None


class NetworkOut(Schema):
    slug: str
    name: str
    short_name: str
    country: str
    description: str
    member_count: int


class OrganisationOut(Schema):
    id: int
    slug: str
    name: str
    short_name: str
    kind: str
    country: str
    city: str
    website: str
    languages: list[str]


class SameNameRefusal(Schema):
    """A new organisation refused until confirmed, with the directory's entries of its name."""

    detail: Any
    similar: list[OrganisationOut]


class MemberOut(Schema):
    id: int
    category: str
    since: date | None
    until: date | None
    organisation: OrganisationOut


class MemberPage(Schema):
    count: int
    items: list[MemberOut]


class MemberQuery(Schema):
    category: MembershipCategory | None = None
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2 code")
    status: Literal["current", "ended", "all"] = "all"
    q: str = Field("", max_length=100, description="Part of the name or short name")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class CountryQuery(Schema):
    country: str = Field("", max_length=2, description="ISO 3166 alpha-2 code")


class OrganisationSearch(Schema):
    q: str = Field(..., min_length=2, max_length=100)


class OrganisationPatch(Body):
    name: str | None = Field(None, max_length=200)
    short_name: str | None = Field(None, max_length=50)
    kind: OrganisationKind | None = None
    country: str | None = Field(None, max_length=2, description="ISO 3166 alpha-2 code")
    city: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=300)
    languages: list[str] | None = Field(None, max_length=50, description="ISO 639 codes")


class MembershipIn(Body):
    """Either ``organisation_id`` of an organisation in the directory, or a new one's fields."""

    organisation_id: StrictInt | None = Field(None, ge=1)
    name: str | None = Field(None, max_length=200)
    short_name: str | None = Field(None, max_length=50)
    kind: OrganisationKind | None = None
    country: str | None = Field(None, max_length=2, description="ISO 3166 alpha-2 code")
    city: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=300)
    languages: list[str] | None = Field(None, max_length=50, description="ISO 639 codes")
    category: MembershipCategory = MembershipCategory.MEMBER
    since: Day | None = None
    confirm_duplicate: StrictBool = Field(
        False,
        description=(
            "A new organisation whose name the directory holds in another country (or in "
            "any, without a country) is refused with 409 unless this is true"
        ),
    )


class MembershipPatch(Body):
    category: MembershipCategory | None = None
    since: Day | None = None
    until: Day | None = None


class EndIn(Body):
    until: Day | None = None


class FirstAdminIn(Body):
    # Checked as every invitation's address is, on the pages and in the API alike.
    email: InvitedAddress


class FirstAdminRevokeIn(Body):
    invitation_id: StrictInt


class FirstAdminInvitationOut(Schema):
    id: int
    email: str
    roles: list[str]
    expires_at: datetime


def _entry(membership: Membership) -> DirectoryEntry:
    organisation = membership.organisation
    return DirectoryEntry(
        organisation_id=organisation.pk,
        name=organisation.name,
        short_name=organisation.short_name,
        country=organisation.country.code or "",
        city=organisation.city,
        kind=organisation.kind,
        website=organisation.website,
        category=membership.category,
        since=membership.since,
        until=membership.until,
    )


def _organisation_out(organisation: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=organisation.pk,
        slug=organisation.slug,
        name=organisation.name,
        short_name=organisation.short_name,
        kind=organisation.kind,
        country=organisation.country.code or "",
        city=organisation.city,
        website=organisation.website,
        languages=[str(code) for code in organisation.languages or []],
    )


def _member_out(membership: Membership) -> MemberOut:
    return MemberOut(
        id=membership.pk,
        category=membership.category,
        since=membership.since,
        until=membership.until,
        organisation=_organisation_out(membership.organisation),
    )


def _network_out(network: Network) -> NetworkOut:
    return NetworkOut(
        slug=network.slug,
        name=network.organisation.name,
        short_name=network.organisation.short_name,
        country=network.organisation.country.code or "",
        description=network.description,
        member_count=getattr(network, "member_count", 0),
    )


def _enum_values(values: dict[str, Any]) -> dict[str, Any]:
    return {key: getattr(value, "value", value) for key, value in values.items()}


@router.get("/networks", response=list[NetworkOut], auth=None, summary="Every network (public)")
@api_public_operation
def public_networks(request: HttpRequest) -> list[NetworkOut]:
    return [_network_out(network) for network in access.public_networks()]


@router.get(
    "/networks/{network}/members",
    response=list[DirectoryEntry],
    auth=None,
    summary="A network's current members (public)",
)
@api_public_operation
def public_members(
    request: HttpRequest, network: str, filters: Query[CountryQuery]
) -> list[DirectoryEntry]:
    found = access.network_by_slug(network)
    memberships = access.current_memberships(found)
    if filters.country:
        memberships = memberships.filter(organisation__country=filters.country.upper())
    return [_entry(membership) for membership in memberships]


@router.get(
    "/orgs/{org}/network/members",
    response=MemberPage,
    summary="Memberships of the network this organisation runs, past and present",
)
@api_organisation_operation("network.manage_members")
def list_members(request: OrganisationRequest, org: str, filters: Query[MemberQuery]) -> MemberPage:
    network = access.network_run_by(request.organisation)
    memberships = access.members_of(
        network,
        access.MemberFilters(
            category=filters.category.value if filters.category else "",
            country=filters.country.upper(),
            status=filters.status,
            search=filters.q,
        ),
    )
    page = memberships[filters.offset : filters.offset + filters.limit]
    return MemberPage(count=memberships.count(), items=[_member_out(m) for m in page])


@router.post(
    "/orgs/{org}/network/members",
    response={201: MemberOut, 400: Refusal, 409: SameNameRefusal},
    summary="Add a member: an organisation already in the directory, or a new one",
)
@api_organisation_operation("network.manage_members")
def add_member(
    request: OrganisationRequest, org: str, payload: MembershipIn
) -> Status[MemberOut] | Status[SameNameRefusal]:
    network = access.network_run_by(request.organisation)
    organisation_values = _enum_values(
        payload.model_dump(
            exclude_unset=True,
            exclude={"organisation_id", "category", "since", "confirm_duplicate"},
        )
    )
    if payload.organisation_id is not None:
        if organisation_values:
            raise ValidationError(
                {
                    "organisation_id": (
                        "Give either organisation_id or a new organisation's fields, not both."
                    )
                }
            )
        membership = actions.add_membership(
            actor=request.user,
            network=network,
            organisation=access.organisation_by_id(payload.organisation_id),
            category=payload.category.value,
            since=payload.since,
            request=request,
        )
    else:
        if not payload.name:
            raise ValidationError(
                {"name": "Give a new organisation's name, or the organisation_id of one."}
            )
        try:
            membership = actions.create_member_organisation(
                actor=request.user,
                network=network,
                organisation_values=organisation_values,
                category=payload.category.value,
                since=payload.since,
                confirm_duplicate=payload.confirm_duplicate,
                request=request,
            )
        except actions.PossibleDuplicate as error:
            return Status(
                409,
                SameNameRefusal(
                    detail=error.message_dict,
                    similar=[_organisation_out(found) for found in error.similar],
                ),
            )
    return Status(201, _member_out(membership))


@router.get(
    "/orgs/{org}/network/members/{membership_id}",
    response=MemberOut,
    summary="One membership of the network",
)
@api_organisation_operation("network.manage_members")
def get_member(request: OrganisationRequest, org: str, membership_id: int) -> MemberOut:
    network = access.network_run_by(request.organisation)
    return _member_out(access.membership_for(network, membership_id))


@router.patch(
    "/orgs/{org}/network/members/{membership_id}",
    response={200: MemberOut, 400: Refusal},
    summary="Change a membership's category or dates (null clears a date)",
)
@api_organisation_operation("network.manage_members")
def update_member(
    request: OrganisationRequest, org: str, membership_id: int, payload: MembershipPatch
) -> MemberOut:
    network = access.network_run_by(request.organisation)
    membership = access.membership_for(network, membership_id)
    changes = _enum_values(payload.model_dump(exclude_unset=True))
    if changes.get("category", "") is None:
        raise ValidationError({"category": "A membership needs a category."})
    updated = actions.update_membership(
        actor=request.user, membership=membership, changes=changes, request=request
    )
    return _member_out(updated)


@router.post(
    "/orgs/{org}/network/members/{membership_id}/end",
    response={200: MemberOut, 400: Refusal},
    summary="End a membership (today, unless `until` says otherwise)",
)
@api_organisation_operation("network.manage_members")
def end_member(
    request: OrganisationRequest, org: str, membership_id: int, payload: EndIn
) -> MemberOut:
    network = access.network_run_by(request.organisation)
    membership = access.membership_for(network, membership_id)
    ended = actions.end_membership(
        actor=request.user, membership=membership, until=payload.until, request=request
    )
    return _member_out(ended)


@router.delete(
    "/orgs/{org}/network/members/{membership_id}",
    response={204: None, 400: Refusal},
    summary="Delete a membership entered by mistake (refused when figures the member sent "
    "rest on it: end it instead)",
)
@api_organisation_operation("network.manage_members")
def delete_member(request: OrganisationRequest, org: str, membership_id: int) -> Status[None]:
    network = access.network_run_by(request.organisation)
    membership = access.membership_for(network, membership_id)
    actions.delete_membership(actor=request.user, membership=membership, request=request)
    return Status(204, None)


@router.get(
    "/orgs/{org}/network/organisations",
    response=list[OrganisationOut],
    summary="Search the directory by name, to add an existing organisation as a member",
)
@api_organisation_operation("network.manage_members")
def search_organisations(
    request: OrganisationRequest, org: str, search: Query[OrganisationSearch]
) -> list[OrganisationOut]:
    access.network_run_by(request.organisation)
    return [_organisation_out(found) for found in access.organisations_named(search.q)]


@router.get(
    "/orgs/{org}/network/organisations/{organisation_id}",
    response=OrganisationOut,
    summary="An organisation that is or was in the network",
)
@api_organisation_operation("network.manage_members")
def get_network_organisation(
    request: OrganisationRequest, org: str, organisation_id: int
) -> OrganisationOut:
    network = access.network_run_by(request.organisation)
    return _organisation_out(access.organisation_in_network(network, organisation_id))


@router.patch(
    "/orgs/{org}/network/organisations/{organisation_id}",
    response={200: OrganisationOut, 400: Refusal},
    summary="Change the directory entry of an organisation that is or was in the network",
)
@api_organisation_operation("network.manage_members")
def update_network_organisation(
    request: OrganisationRequest, org: str, organisation_id: int, payload: OrganisationPatch
) -> OrganisationOut:
    network = access.network_run_by(request.organisation)
    subject = access.organisation_in_network(network, organisation_id)
    updated = actions.update_organisation(
        actor=request.user,
        acting_organisation=request.organisation,
        organisation=subject,
        changes=_enum_values(payload.model_dump(exclude_unset=True)),
        request=request,
    )
    return _organisation_out(updated)


@router.post(
    "/orgs/{org}/network/organisations/{organisation_id}/first-admin",
    response={201: FirstAdminInvitationOut, 400: Refusal},
    summary="Invite the first organisation admin of a member that has no staff on Haven yet",
)
@api_organisation_operation("network.manage_members")
def invite_first_admin(
    request: OrganisationRequest, org: str, organisation_id: int, payload: FirstAdminIn
) -> Status[FirstAdminInvitationOut]:
    network = access.network_run_by(request.organisation)
    invitation = actions.invite_first_admin(
        actor=request.user,
        network=network,
        organisation=access.organisation_in_network(network, organisation_id),
        email=str(payload.email),
        request=request,
    )
    return Status(201, _invitation_out(invitation))


def _invitation_out(invitation: Invitation) -> FirstAdminInvitationOut:
    return FirstAdminInvitationOut(
        id=invitation.pk,
        email=invitation.email,
        roles=list(invitation.roles),
        expires_at=invitation.expires_at,
    )


@router.get(
    "/orgs/{org}/network/organisations/{organisation_id}/first-admin",
    response=list[FirstAdminInvitationOut],
    summary="The invitations of a member's first admin still waiting (none once it has staff)",
)
@api_organisation_operation("network.manage_members")
def list_first_admin_invitations(
    request: OrganisationRequest, org: str, organisation_id: int
) -> list[FirstAdminInvitationOut]:
    network = access.network_run_by(request.organisation)
    subject = access.organisation_in_network(network, organisation_id)
    if access.has_staff(subject):
        return []
    return [_invitation_out(invitation) for invitation in access.waiting_invitations(subject)]


@router.post(
    "/orgs/{org}/network/organisations/{organisation_id}/first-admin/revocations",
    response={204: None, 400: Refusal},
    summary="Withdraw a waiting invitation of a member's first admin (a mistyped address, say)",
)
@api_organisation_operation("network.manage_members")
def revoke_first_admin_invitation(
    request: OrganisationRequest, org: str, organisation_id: int, payload: FirstAdminRevokeIn
) -> Status[None]:
    network = access.network_run_by(request.organisation)
    subject = access.organisation_in_network(network, organisation_id)
    invitation = access.waiting_invitation(subject, payload.invitation_id)
    if invitation is None:
        raise ValidationError(
            {"invitation_id": ["No invitation of this organisation is waiting with this id."]}
        )
    actions.revoke_first_admin_invitation(
        actor=request.user,
        network=network,
        organisation=subject,
        invitation=invitation,
        request=request,
    )
    return Status(204, None)


@router.get("/orgs/{org}/profile", response=OrganisationOut, summary="Own directory entry")
@api_organisation_operation("organisation.view_dashboard")
def get_profile(request: OrganisationRequest, org: str) -> OrganisationOut:
    return _organisation_out(request.organisation)


@router.patch(
    "/orgs/{org}/profile",
    response={200: OrganisationOut, 400: Refusal},
    summary="Change the organisation's own directory entry",
)
@api_organisation_operation("organisation.edit_profile")
def update_profile(
    request: OrganisationRequest, org: str, payload: OrganisationPatch
) -> OrganisationOut:
    updated = actions.update_organisation(
        actor=request.user,
        acting_organisation=request.organisation,
        organisation=request.organisation,
        changes=_enum_values(payload.model_dump(exclude_unset=True)),
        request=request,
    )
    return _organisation_out(updated)

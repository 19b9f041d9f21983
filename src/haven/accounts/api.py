"""API of accounts: who am I, and staff and invitations of an organisation.

API modules keep real annotations (no `from __future__ import annotations`): django-ninja
reads them through the tenancy decorators, whose module cannot resolve their names.
"""

from datetime import datetime
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from haven.accounts import access, actions
from haven.accounts.forms import InviteForm
from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import Role, permissions_for
from haven.accounts.tenancy import (
    OrganisationRequest,
    api_organisation_operation,
    api_user_operation,
)
from haven.api.schemas import form_field_check

router = Router(tags=["accounts"])

# Checked by the staff page's own field (the first admin's page has the same), so that the
# API invites exactly the addresses the pages invite, stored as they store them.
InvitedAddress = Annotated[
    str,
    Field(max_length=254, json_schema_extra={"format": "email"}),
    form_field_check(InviteForm.base_fields["email"]),
]


class MyOrganisation(Schema):
    slug: str
    name: str
    roles: list[str]
    permissions: list[str]


class Me(Schema):
    id: int
    username: str
    email: str
    organisations: list[MyOrganisation]


class StaffMember(Schema):
    id: int
    username: str
    name: str
    email: str
    roles: list[str]


class RolesIn(Schema):
    roles: list[Role] = Field(max_length=10)


class InvitationIn(Schema):
    email: InvitedAddress
    roles: list[Role] = Field(min_length=1, max_length=10)


class InvitationOut(Schema):
    id: int
    email: str
    roles: list[str]
    expires_at: datetime


class Message(Schema):
    detail: str


@router.get("/me", response=Me, summary="The token's user and their organisations")
@api_user_operation
def me(request: HttpRequest) -> Me:
    user = cast(User, request.user)
    by_organisation: dict[int, MyOrganisation] = {}
    for assignment in RoleAssignment.objects.filter(user=user).select_related("organisation"):
        entry = by_organisation.setdefault(
            assignment.organisation_id,
            MyOrganisation(
                slug=assignment.organisation.slug,
                name=assignment.organisation.name,
                roles=[],
                permissions=[],
            ),
        )
        entry.roles.append(assignment.role)
    for entry in by_organisation.values():
        entry.roles.sort()
        entry.permissions = sorted(permissions_for(entry.roles))
    return Me(
        id=user.pk,
        username=user.username,
        email=user.email,
        organisations=sorted(by_organisation.values(), key=lambda entry: entry.name),
    )


def _staff_out(user: User, roles: list[str]) -> StaffMember:
    return StaffMember(
        id=user.pk, username=user.username, name=user.display_name, email=user.email, roles=roles
    )


@router.get("/orgs/{org}/staff", response=list[StaffMember], summary="Staff and their roles")
@api_organisation_operation("accounts.manage_users")
def list_staff(request: OrganisationRequest, org: str) -> list[StaffMember]:
    return [_staff_out(user, roles) for user, roles in access.staff_of(request.organisation)]


@router.put(
    "/orgs/{org}/staff/{user_id}/roles",
    response={200: StaffMember, 400: Message},
    summary="Set a staff member's roles (an empty list removes their access)",
)
@api_organisation_operation("accounts.manage_users")
def set_staff_roles(
    request: OrganisationRequest, org: str, user_id: int, payload: RolesIn
) -> StaffMember:
    member = access.staff_member_for(request.organisation, user_id)
    actions.set_roles(
        actor=request.user,
        organisation=request.organisation,
        user=member,
        roles=[str(role) for role in payload.roles],
        request=request,
    )
    roles = sorted(
        RoleAssignment.objects.filter(organisation=request.organisation, user=member).values_list(
            "role", flat=True
        )
    )
    return _staff_out(member, roles)


@router.delete(
    "/orgs/{org}/staff/{user_id}",
    response={204: None, 400: Message},
    summary="Take away every role of a staff member",
)
@api_organisation_operation("accounts.manage_users")
def remove_staff(request: OrganisationRequest, org: str, user_id: int) -> Status[None]:
    member = access.staff_member_for(request.organisation, user_id)
    actions.remove_from_organisation(
        actor=request.user, organisation=request.organisation, user=member, request=request
    )
    return Status(204, None)


@router.get("/orgs/{org}/invitations", response=list[InvitationOut], summary="Pending invitations")
@api_organisation_operation("accounts.manage_users")
def list_invitations(request: OrganisationRequest, org: str) -> list[InvitationOut]:
    return [
        InvitationOut(id=i.pk, email=i.email, roles=i.roles, expires_at=i.expires_at)
        for i in access.pending_invitations(request.organisation)
    ]


@router.post(
    "/orgs/{org}/invitations",
    response={201: InvitationOut, 400: Message},
    summary="Invite someone by e-mail",
)
@api_organisation_operation("accounts.manage_users")
def create_invitation(
    request: OrganisationRequest, org: str, payload: InvitationIn
) -> Status[InvitationOut]:
    invitation = actions.invite_user(
        actor=request.user,
        organisation=request.organisation,
        email=str(payload.email),
        roles=[str(role) for role in payload.roles],
        request=request,
    )
    return Status(
        201,
        InvitationOut(
            id=invitation.pk,
            email=invitation.email,
            roles=invitation.roles,
            expires_at=invitation.expires_at,
        ),
    )


@router.delete(
    "/orgs/{org}/invitations/{invitation_id}",
    response={204: None, 400: Message},
    summary="Revoke an invitation (refused once it is accepted, revoked or expired)",
)
@api_organisation_operation("accounts.manage_users")
def revoke_invitation(request: OrganisationRequest, org: str, invitation_id: int) -> Status[None]:
    invitation = access.invitation_for(request.organisation, invitation_id)
    actions.revoke_invitation(actor=request.user, invitation=invitation, request=request)
    return Status(204, None)

"""API of the directory: a network's public member list, and coordinators' edits."""

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema

from haven.accounts.tenancy import api_public_operation
from haven.organisations import access

router = Router(tags=["directory"])


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


def _entry(membership: object) -> DirectoryEntry:
    organisation = membership.organisation  # type: ignore[attr-defined]
    return DirectoryEntry(
        organisation_id=organisation.pk,
        name=organisation.name,
        short_name=organisation.short_name,
        country=organisation.country.code or "",
        city=organisation.city,
        kind=organisation.kind,
        website=organisation.website,
        category=membership.category,  # type: ignore[attr-defined]
        since=membership.since,  # type: ignore[attr-defined]
        until=membership.until,  # type: ignore[attr-defined]
    )


@router.get(
    "/networks/{network}/members",
    response=list[DirectoryEntry],
    auth=None,
    summary="A network's current members (public)",
)
@api_public_operation
def public_members(request: HttpRequest, network: str) -> list[DirectoryEntry]:
    found = access.network_by_slug(network)
    return [_entry(membership) for membership in access.current_memberships(found)]

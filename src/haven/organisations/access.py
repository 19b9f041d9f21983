"""Lookups in the directory. Directory data is public; coordinators' edits are scoped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.accounts.access import pending_invitations
from haven.accounts.models import Invitation, RoleAssignment
from haven.organisations.models import Membership, Network, Organisation
from haven.privacy.models import AuditEvent
from haven.reporting.models import Revision
from haven.text import folded

MEMBER_STATUSES = ("current", "ended", "all")


def network_by_slug(slug: str) -> Network:
    """A network, for its public pages, or 404."""
    network = Network.objects.select_related("organisation").filter(slug=slug[:60]).first()
    if network is None:
        raise Http404
    return network


def in_force(on: date | None = None, *, through: str = "") -> Q:
    """The condition that a membership is in force on ``on`` (today if not given): started
    (or undated) and not ended; ``through`` reaches memberships from another model
    ("memberships__")."""
    day = on or timezone.localdate()
    since, until = f"{through}since", f"{through}until"
    return (Q(**{f"{since}__isnull": True}) | Q(**{f"{since}__lte": day})) & (
        Q(**{f"{until}__isnull": True}) | Q(**{f"{until}__gte": day})
    )


def memberships_in_force(memberships: QuerySet[Membership]) -> QuerySet[Membership]:
    """Those of ``memberships`` in force today."""
    return memberships.filter(in_force())


def public_networks() -> QuerySet[Network]:
    """Every network, with the number of its members in force today."""
    return (
        Network.objects.select_related("organisation")
        .annotate(
            member_count=Count(
                "memberships", filter=in_force(through="memberships__"), distinct=True
            )
        )
        .order_by("organisation__name")
    )


def current_memberships(network: Network) -> QuerySet[Membership]:
    """Memberships in force today, with their organisations."""
    return memberships_in_force(network.memberships.select_related("organisation")).order_by(
        "category", "organisation__name"
    )


def network_run_by(organisation: Organisation) -> Network:
    """The network an organisation runs, or 404 if it runs none."""
    network = Network.objects.filter(organisation=organisation).first()
    if network is None:
        raise Http404
    return network


def membership_for(network: Network, membership_id: int) -> Membership:
    """One membership of this network, or 404."""
    membership = network.memberships.select_related("organisation").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


def reports_rest_on(membership: Membership) -> bool:
    """Whether figures the member sent to the network rest on this membership: sent for a
    period whose last day no other membership of the member covers."""
    # The member's own revisions, read by the network's coordinator: only their periods' ends.
    with scopes_disabled():
        ends = set(
            Revision.objects.filter(
                organisation_id=membership.organisation_id, period__network_id=membership.network_id
            ).values_list("period__ends_on", flat=True)
        )
    others = membership.network.memberships.filter(
        organisation_id=membership.organisation_id
    ).exclude(pk=membership.pk)
    return any(not others.filter(in_force(day)).exists() for day in ends)


@dataclass(frozen=True)
class MemberFilters:
    """What a coordinator narrows the member list to; empty strings mean "any"."""

    category: str = ""
    country: str = ""
    status: str = "all"
    search: str = ""


def members_of(network: Network, filters: MemberFilters | None = None) -> QuerySet[Membership]:
    """The network's memberships, past and present, narrowed by ``filters``, by name."""
    filters = filters or MemberFilters()
    memberships = network.memberships.select_related("organisation")
    today = timezone.localdate()
    if filters.category:
        memberships = memberships.filter(category=filters.category)
    if filters.country:
        memberships = memberships.filter(organisation__country=filters.country)
    if filters.status == "current":
        memberships = memberships.filter(in_force(today))
    elif filters.status == "ended":
        memberships = memberships.filter(until__lt=today)
    search = filters.search.strip()[:100]
    if search:
        memberships = memberships.filter(
            Q(organisation__name__icontains=search) | Q(organisation__short_name__icontains=search)
        )
    return memberships.order_by("organisation__name", "-since", "pk")


def member_countries(network: Network) -> list[str]:
    """The countries of every organisation that is or was in the network."""
    return sorted(
        set(
            network.memberships.exclude(organisation__country="").values_list(
                "organisation__country", flat=True
            )
        )
    )


def organisation_in_network(network: Network, organisation_id: int) -> Organisation:
    """An organisation that is or was in the network, for its coordinator to edit, or 404."""
    organisation = (
        Organisation.objects.filter(pk=organisation_id, memberships__network=network)
        .distinct()
        .first()
    )
    if organisation is None:
        raise Http404
    return organisation


def has_staff(organisation: Organisation) -> bool:
    """Whether anyone holds a role in the organisation: a tenant of Haven, whose admins keep
    its directory entry, rather than an entry of the directory alone."""
    return RoleAssignment.objects.filter(organisation=organisation).exists()


def is_member_now_or_later(network: Network, organisation: Organisation) -> bool:
    """Whether the organisation has a membership of the network in force or still to start."""
    today = timezone.localdate()
    return (
        network.memberships.filter(organisation=organisation)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .exists()
    )


def waiting_invitations(organisation: Organisation) -> list[Invitation]:
    """The invitations to a member without staff still waiting to be used, for the network's
    coordinator who sent them (the member's own, read from the network's pages)."""
    with scope(organisation=organisation):
        return pending_invitations(organisation)


def waiting_invitation(organisation: Organisation, invitation_id: int) -> Invitation | None:
    """One of ``waiting_invitations`` of a member without staff, or None (used, revoked,
    expired, another organisation's, or the member's own business since it has staff)."""
    if has_staff(organisation):
        return None
    return next((i for i in waiting_invitations(organisation) if i.pk == invitation_id), None)


def first_admin_invitations_left(network: Network, organisation: Organisation) -> list[Invitation]:
    """The network's invitations of a first admin to ``organisation`` still waiting, once the
    organisation has no membership of the network left; none while it has one (the network
    withdraws them from its pages) or once it has staff (they are its admins' business)."""
    if network.memberships.filter(organisation=organisation).exists() or has_staff(organisation):
        return []
    # The network's own trail says which invitations it sent: another network the
    # organisation belongs to may be waiting for an admin of its own.
    sent = set(
        AuditEvent.unscoped.filter(
            organisation=network.organisation,
            action="directory.first_admin_invited",
            object_id=str(organisation.pk),
        ).values_list("details__invitation_id", flat=True)
    )
    return [invitation for invitation in waiting_invitations(organisation) if invitation.pk in sent]


def organisation_by_id(organisation_id: int) -> Organisation:
    """Any organisation of the public directory, or 404."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    return organisation


def organisations_named(search: str, *, limit: int = 20) -> list[Organisation]:
    """Directory organisations whose name or short name contains ``search``."""
    search = search.strip()[:100]
    if len(search) < 2:
        return []
    return list(
        Organisation.objects.filter(
            Q(name__icontains=search) | Q(short_name__icontains=search)
        ).order_by("name")[:limit]
    )


def open_membership_ids(network: Network) -> set[int]:
    """Ids of the organisations that are members of the network today or later."""
    today = timezone.localdate()
    return set(
        network.memberships.filter(Q(until__isnull=True) | Q(until__gte=today)).values_list(
            "organisation_id", flat=True
        )
    )


# A leading article is dropped, so "The Harbour Light Shelter" meets "Harbour Light Shelter"
# and "L'Étoile" meets "Étoile": the articles of English, French, Spanish, German and Dutch,
# the languages most of the networks' organisations are named in. Left out on purpose are
# articles that are also initials or ordinary first words of names (Portuguese "a", "o",
# "as", Italian "il", "lo"), where dropping them would merge two different organisations;
# and only the first word goes, never one inside the name ("Casa de la Mujer").
_LEADING_ARTICLE = re.compile(
    r"^(?:(?:the|le|la|les|el|los|las|der|die|das|de|het)\s+|l\s*['’ʼ]\s*)(?=\w)"
)


def normalised_name(name: str) -> str:
    """A name without case, accents, punctuation, spaces or a leading article, to catch
    near-duplicates."""
    bare = _LEADING_ARTICLE.sub("", folded(name).strip(), count=1)
    return "".join(character for character in bare if character.isalnum())


def same_organisation(
    name: str, country: str, *, exclude_id: int | None = None
) -> Organisation | None:
    """An organisation already in the directory under this name in this country, if any."""
    wanted = normalised_name(name)
    if not wanted:
        return None
    candidates = Organisation.objects.filter(country=country or "")
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    for candidate in candidates.only("id", "name", "short_name", "country", "slug"):
        if normalised_name(candidate.name) == wanted:
            return candidate
    return None


def same_name_elsewhere(name: str, country: str) -> list[Organisation]:
    """Organisations of the directory under this name in another country, or in any country
    when ``country`` is empty: perhaps the same organisation, entered with another country
    or none."""
    wanted = normalised_name(name)
    if not wanted:
        return []
    candidates = Organisation.objects.exclude(country=country) if country else Organisation.objects
    return [
        candidate
        for candidate in candidates.only("id", "name", "short_name", "country", "city", "kind")
        if normalised_name(candidate.name) == wanted
    ]

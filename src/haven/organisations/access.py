"""Lookups in the directory. Directory data is public; coordinators' edits are scoped."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from haven.organisations.models import Membership, Network, Organisation


def network_by_slug(slug: str) -> Network:
    """A network, for its public pages, or 404."""
    network = Network.objects.select_related("organisation").filter(slug=slug[:60]).first()
    if network is None:
        raise Http404
    return network


def current_memberships(network: Network) -> QuerySet[Membership]:
    """Memberships in force today, with their organisations."""
    today = timezone.localdate()
    return (
        network.memberships.select_related("organisation")
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .filter(Q(since__isnull=True) | Q(since__lte=today))
        .order_by("category", "organisation__name")
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

"""The public directory of a network, and its coordinators' pages."""

from __future__ import annotations

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view, public_view
from haven.organisations import access
from haven.organisations.models import MembershipCategory


@public_view
@require_GET
def network_directory(request: HttpRequest, network: str) -> HttpResponse:
    found = access.network_by_slug(network)
    labels = dict(MembershipCategory.choices)
    order = {category: index for index, category in enumerate(MembershipCategory.values)}
    memberships = sorted(
        access.current_memberships(found),
        key=lambda m: (order.get(m.category, 99), m.organisation.name.casefold()),
    )
    groups = [
        (labels.get(category, category), list(items))
        for category, items in groupby(memberships, key=lambda m: m.category)
    ]
    countries = {m.organisation.country.code for m in memberships if m.organisation.country}
    return render(
        request,
        "organisations/directory.html",
        {
            "network": found,
            "groups": groups,
            "total": len(memberships),
            "country_count": len(countries),
        },
    )


@organisation_view("network.manage_members")
@require_GET
def network_members(request: OrganisationRequest) -> HttpResponse:
    network = access.network_run_by(request.organisation)
    memberships = network.memberships.select_related("organisation").order_by("organisation__name")
    return render(
        request,
        "organisations/members.html",
        {"network": network, "memberships": memberships, "organisation": request.organisation},
    )

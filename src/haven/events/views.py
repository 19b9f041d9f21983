"""The advocacy staff's pages of events."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.events import access


@organisation_view("advocacy.manage")
@require_GET
def event_list(request: OrganisationRequest) -> HttpResponse:
    events = list(access.events_of(request.organisation))
    return render(request, "events/list.html", {"events": events})

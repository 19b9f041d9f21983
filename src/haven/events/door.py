"""The door: door staff check registrants in on a phone, online or not."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.events import access


@organisation_view("events.check_in")
@require_GET
def door_events(request: OrganisationRequest) -> HttpResponse:
    events = list(access.events_of(request.organisation))
    return render(request, "events/door/events.html", {"events": events})

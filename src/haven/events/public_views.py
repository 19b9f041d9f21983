"""The public pages of events: the listing, an event, registering, a registrant's own page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import public_view
from haven.events import access


@public_view
@require_GET
def event_index(request: HttpRequest) -> HttpResponse:
    return render(request, "events/public/index.html", {"events": list(access.published_events())})

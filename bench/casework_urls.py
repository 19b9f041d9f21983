"""Haven's routes, plus the floor of bench/casework.py: an organisation page with nothing on it.

The floor goes through everything a casework page goes through (session, user, the
tenancy decorator with its standing query, the base template with its navigation) and
does nothing else, so its time is what the stack costs before a page reads anything.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.urls import urlpatterns as haven_urlpatterns


@organisation_view("casework.view_person")
@require_GET
def floor(request: OrganisationRequest) -> HttpResponse:
    return render(request, "base.html", {"organisation": request.organisation})


urlpatterns = [path("bench/o/<slug:org>/floor/", floor, name="bench_floor"), *haven_urlpatterns]

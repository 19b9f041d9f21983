"""The caseworker's home and the person page with its timeline."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from haven.accounts.tenancy import OrganisationRequest, access_rule, organisation_view
from haven.casework.access import person_for
from haven.organisations.models import Organisation
from haven.services.access import quantity_label
from haven.workspace import access

# Links to other apps' pages, shown only when that app has the page and the user's
# permissions reach it (read from the page's own access rule).
QUICK_ACTIONS: tuple[tuple[str, Any], ...] = (
    ("service_record", gettext_lazy("Record a service")),
    ("service_distribution_record", gettext_lazy("Record a distribution or group session")),
    ("helpline_console", gettext_lazy("Helpline console")),
    ("person_create", gettext_lazy("Record a new person")),
    ("person_list", gettext_lazy("Find a person")),
    ("shelter_board", gettext_lazy("Shelter board")),
    ("service_list", gettext_lazy("Services given")),
)


ANY_ID = uuid.UUID(int=0)


def url_or_none(name: str, **kwargs: Any) -> str | None:
    """The address of a page another app may not have yet, or None."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def opens(request: OrganisationRequest, name: str, **kwargs: Any) -> bool:
    """Whether the page exists and the user's permissions reach it (its own access rule)."""
    url = url_or_none(name, org=request.organisation.slug, **kwargs)
    rule = access_rule(resolve(url).func) if url is not None else None
    return rule is not None and rule.permission in request.permissions


def quick_actions(request: OrganisationRequest) -> list[tuple[str, str]]:
    return [
        (str(label), reverse(name, kwargs={"org": request.organisation.slug}))
        for name, label in QUICK_ACTIONS
        if opens(request, name)
    ]


def people_words(organisation: Organisation) -> dict[str, str]:
    """The organisation's words for the people it supports (casework's terminology)."""
    try:
        from haven.casework.terminology import people_words as words
    except ImportError:
        return {"person": _("person"), "people": _("people")}
    return {key: str(value) for key, value in words(organisation).items()}


@organisation_view("casework.view_person")
@require_GET
def home(request: OrganisationRequest) -> HttpResponse:
    data = access.home_for(request)
    context = {
        "organisation": request.organisation,
        "today": data.today,
        "my_cases": data.my_cases,
        "due_cases": data.due_cases,
        "due_calls": data.due_calls,
        "occupancy": data.occupancy,
        "recent": data.recent,
        "words": people_words(request.organisation),
        "quick_actions": quick_actions(request),
    }
    return render(request, "workspace/home.html", context)


@organisation_view("casework.view_person")
@require_GET
def person_page(request: OrganisationRequest, person_id: uuid.UUID) -> HttpResponse:
    raw_cursor = request.GET.get("before", "")
    try:
        before = access.Cursor.decode(raw_cursor) if raw_cursor else None
    except ValidationError as error:
        # Nothing about the person is read for a link we cannot follow.
        return render(
            request,
            "workspace/bad_request.html",
            {"organisation": request.organisation, "errors": error.messages},
            status=400,
        )
    person = person_for(request, person_id)
    page = access.timeline(person, before=before)
    today = timezone.localdate()
    in_force = [
        consent
        for consent in page.consents
        if consent.given_on <= today
        and (consent.withdrawn_on is None or consent.withdrawn_on > today)
    ]
    slug = request.organisation.slug
    context = {
        "organisation": request.organisation,
        "person": person,
        "words": people_words(request.organisation),
        "household_size": access.household_size(person),
        "open_case": access.open_case_of(person),
        "consents_in_force": in_force,
        # Catalogue units are stored in English; the reader sees them in their language.
        "items": [
            (
                item,
                quantity_label(item.obj.quantity, item.obj.service_type.unit)
                if item.kind == access.SERVICE
                else "",
            )
            for item in page.items
        ],
        "older": page.next_cursor.encode() if page.next_cursor else None,
        "is_first_page": before is None,
        "can_read_notes": access.can_read_notes(request.permissions),
        # A timeline item links to its page only for a reader whose roles open it: an
        # admin or DPO sees the calls on a person page but may not open the call itself.
        "opens_case": opens(request, "case_detail", case_id=ANY_ID),
        "opens_call": opens(request, "helpline_call", call_id=ANY_ID),
        "opens_stay": opens(request, "shelter_stay", stay_id=ANY_ID),
        "details_url": url_or_none("person_details", org=slug, person_id=person.pk),
        "record_service_url": (
            url_or_none("service_record", org=slug) if opens(request, "service_record") else None
        ),
        "quick_actions": quick_actions(request),
    }
    return render(request, "workspace/person.html", context)

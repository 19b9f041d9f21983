"""The shelter board, occupancy over time, facilities, and the stays booked in them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.casework.terminology import people_words
from haven.privacy import audit
from haven.shelter import access, actions
from haven.shelter.forms import (
    EndStayForm,
    FacilityEditForm,
    FacilityForm,
    StayChangeForm,
    StayFilterForm,
    StayForm,
)
from haven.shelter.models import Facility, Stay

STAYS_PER_PAGE = 50
GRID_NIGHTS = 14
MONTHS_SHOWN = 12


def _add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's refusal next to the fields it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@organisation_view("casework.view_person")
@require_GET
def shelter_board(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    today = timezone.localdate()
    facilities = list(access.facilities_of(organisation))
    grid = access.nightly_occupancy(organisation, today, GRID_NIGHTS, facilities)
    staying = list(access.staying_on(organisation, today))
    arrivals = list(access.arriving_on(organisation, today))
    departures = list(access.leaving_on(organisation, today))
    by_facility: dict[int, list[Stay]] = {facility.pk: [] for facility in facilities}
    for stay in staying:
        by_facility.setdefault(stay.facility_id, []).append(stay)
    # Shelter pages show codes only: names are read one person at a time on the identity page.
    access.record_stay_listing(request, staying + arrivals + departures, "board")
    boards = [
        {
            "facility": facility,
            "tonight": grid[facility.pk][0],
            "nights": grid[facility.pk],
            "stays": by_facility[facility.pk],
        }
        for facility in facilities
    ]
    return render(
        request,
        "shelter/board.html",
        {
            "organisation": organisation,
            "today": today,
            "boards": boards,
            "arrivals": arrivals,
            "departures": departures,
            "words": people_words(request.organisation),
            "can_edit": "casework.edit" in request.permissions,
            "can_manage": "casework.manage_settings" in request.permissions,
        },
    )


@organisation_view("casework.view_person")
@require_GET
def shelter_occupancy(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    today = timezone.localdate()
    start, end = access.months_back(today, MONTHS_SHOWN), today + timedelta(days=1)
    months = access.nights_by_month(organisation, start, end)
    busiest = max((month.people_nights for month in months), default=0)
    return render(
        request,
        "shelter/occupancy.html",
        {
            "organisation": organisation,
            "months": months,
            "busiest": max(busiest, 1),
            "start": start,
            "today": today,
            "total_nights": sum(month.nights for month in months),
            "total_people_nights": sum(month.people_nights for month in months),
            "households": access.households_sheltered(organisation, start, end),
        },
    )


def _facility_list_page(
    request: OrganisationRequest, form: FacilityForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "shelter/facilities.html",
        {
            "organisation": request.organisation,
            "facilities": access.facilities_of(request.organisation, include_inactive=True),
            "form": form,
        },
        status=status,
    )


@organisation_view("casework.manage_settings")
@require_http_methods(["GET", "POST"])
def facility_list(request: OrganisationRequest) -> HttpResponse:
    if request.method != "POST":
        return _facility_list_page(request, FacilityForm())
    form = FacilityForm(request.POST)
    if form.is_valid():
        try:
            facility = actions.create_facility(
                actor=request.user,
                organisation=request.organisation,
                name=form.cleaned_data["name"],
                city=form.cleaned_data["city"],
                beds=form.cleaned_data["beds"],
                family_rooms=form.cleaned_data["family_rooms"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("%(name)s added.") % {"name": facility.name})
            return redirect("shelter_facilities", org=request.organisation.slug)
    return _facility_list_page(request, form, status=400)


@organisation_view("casework.manage_settings")
@require_http_methods(["GET", "POST"])
def facility_edit(request: OrganisationRequest, facility_id: int) -> HttpResponse:
    facility = access.facility_for(request.organisation, facility_id)
    initial = {field: getattr(facility, field) for field in actions.FACILITY_FIELDS}
    form = FacilityEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_facility(
                actor=request.user,
                facility=facility,
                changes={field: form.cleaned_data[field] for field in actions.FACILITY_FIELDS},
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Facility saved."))
            return redirect("shelter_facilities", org=request.organisation.slug)
    return render(
        request,
        "shelter/facility_edit.html",
        {"organisation": request.organisation, "facility": facility, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _stay_filters(form: StayFilterForm, today: date) -> tuple[access.StayFilters, bool]:
    if not form.is_bound:
        return access.StayFilters(), True
    if not form.is_valid():
        return access.StayFilters(), False
    data = form.cleaned_data
    facility: Facility | None = data["facility"]
    return (
        access.StayFilters(
            facility_id=facility.pk if facility else None,
            person_code=data["person_code"],
            status=data["status"],
            today=today,
        ),
        True,
    )


@organisation_view("casework.view_person")
@require_GET
def stay_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    facilities = access.facilities_of(organisation, include_inactive=True)
    form = StayFilterForm(request.GET or None, facilities=facilities)
    filters, valid = _stay_filters(form, timezone.localdate())
    stays: QuerySet[Stay] = access.stays_of(organisation, filters)
    page = Paginator(stays, STAYS_PER_PAGE).get_page(request.GET.get("page"))
    access.record_stay_listing(request, page.object_list, "stays", filters.person_code)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shelter/stays.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "words": people_words(request.organisation),
            "can_edit": "casework.edit" in request.permissions,
        },
        status=200 if valid else 400,
    )


@organisation_view("casework.edit")
@require_http_methods(["GET", "POST"])
def stay_create(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    facilities = access.facilities_of(organisation)
    initial = {
        "starts_on": timezone.localdate(),
        "accompanying": 0,
        "person_code": request.GET.get("person", "")[:20],
        "facility": request.GET.get("facility", "")[:12],
    }
    form = StayForm(request.POST or None, initial=initial, facilities=facilities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = access.person_by_code(organisation, data["person_code"])
        if person is None:
            form.add_error("person_code", _("No person has this code."))
        else:
            try:
                stay = actions.book_stay(
                    actor=request.user,
                    facility=data["facility"],
                    person=person,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    accompanying=data["accompanying"],
                    family_room=data["family_room"],
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Stay of %(code)s in %(facility)s booked.")
                    % {"code": person.code, "facility": stay.facility.name},
                )
                return redirect("shelter_board", org=organisation.slug)
    return render(
        request,
        "shelter/stay_new.html",
        {"organisation": organisation, "form": form, "has_facilities": facilities.exists()},
        status=400 if request.method == "POST" else 200,
    )


def _audit_viewed(request: OrganisationRequest, stay: Stay, page: str) -> None:
    if stay.person_id is None:
        return  # erased: the stay names nobody
    audit.record(
        "person.viewed",
        actor=request.user,
        organisation=request.organisation,
        target=stay.person,
        details={"page": page, "identity": False},
        request=request,
    )


def _stay_page(
    request: OrganisationRequest,
    stay: Stay,
    *,
    change_form: StayChangeForm | None = None,
    end_form: EndStayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # Shown again after a refused change too: that page shows the person's stay as well.
    _audit_viewed(request, stay, "stay")
    change_form = change_form or StayChangeForm(
        initial={field: getattr(stay, field) for field in actions.STAY_FIELDS}
    )
    end_form = end_form or EndStayForm(
        initial={
            "ends_on": stay.ends_on or max(timezone.localdate(), stay.starts_on + timedelta(days=1))
        }
    )
    return render(
        request,
        "shelter/stay_detail.html",
        {
            "organisation": request.organisation,
            "stay": stay,
            "change_form": change_form,
            "end_form": end_form,
            "words": people_words(request.organisation),
            "can_edit": "casework.edit" in request.permissions,
            "cancel_refusal": actions.cancel_refusal(stay, today=timezone.localdate()),
        },
        status=status,
    )


@organisation_view("casework.view_person")
@require_GET
def stay_detail(request: OrganisationRequest, stay_id: Any) -> HttpResponse:
    return _stay_page(request, access.stay_for(request.organisation, stay_id))


@organisation_view("casework.edit")
@require_POST
def stay_change(request: OrganisationRequest, stay_id: Any) -> HttpResponse:
    stay = access.stay_for(request.organisation, stay_id)
    form = StayChangeForm(request.POST)
    if form.is_valid():
        try:
            actions.change_stay(
                actor=request.user, stay=stay, changes=form.cleaned_data, request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Stay saved."))
            return redirect("shelter_stay", org=request.organisation.slug, stay_id=stay.pk)
    return _stay_page(request, stay, change_form=form, status=400)


@organisation_view("casework.edit")
@require_POST
def stay_end(request: OrganisationRequest, stay_id: Any) -> HttpResponse:
    stay = access.stay_for(request.organisation, stay_id)
    form = EndStayForm(request.POST)
    if form.is_valid():
        try:
            actions.end_stay(
                actor=request.user, stay=stay, ends_on=form.cleaned_data["ends_on"], request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The day of leaving is saved."))
            return redirect("shelter_stay", org=request.organisation.slug, stay_id=stay.pk)
    return _stay_page(request, stay, end_form=form, status=400)


@organisation_view("casework.edit")
@require_http_methods(["GET", "POST"])
def stay_cancel(request: OrganisationRequest, stay_id: Any) -> HttpResponse:
    stay = access.stay_for(request.organisation, stay_id)
    refusal = actions.cancel_refusal(stay, today=timezone.localdate())
    if request.method == "POST" and not refusal:
        try:
            actions.cancel_stay(actor=request.user, stay=stay, request=request)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, _("The stay was cancelled."))
            return redirect("shelter_board", org=request.organisation.slug)
    _audit_viewed(request, stay, "stay.cancel")
    return render(
        request,
        "shelter/stay_cancel.html",
        {"organisation": request.organisation, "stay": stay, "refusal": refusal},
        status=400 if request.method == "POST" else 200,
    )

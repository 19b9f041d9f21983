"""Pages for recording services, listing them, and managing the service catalogue."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.casework.terminology import people_words
from haven.organisations.languages import language_options
from haven.pagination import Paginator
from haven.services import access, actions
from haven.services.forms import (
    DeliveryFilterForm,
    DeliveryForm,
    DistributionForm,
    RecordForm,
    ServiceTypeForm,
    VisibilityForm,
    new_record_initial,
)

PAGE_SIZE = 50


def _add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's refusal next to the fields it names, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages_)


def _safe_next(request: OrganisationRequest, target: str) -> str | None:
    prefix = f"/o/{request.organisation.slug}/"
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if len(value) <= 40 else None
    except ValueError:
        return None


def _prefill(request: OrganisationRequest) -> dict[str, Any]:
    """Person or household named in the address (?person=<id> or ?household=<id>)."""
    initial: dict[str, Any] = {}
    person_id = _parse_uuid(request.GET.get("person", ""))
    if person_id is not None:
        initial["person"] = access.person_for(request.organisation, person_id).code
    household_id = _parse_uuid(request.GET.get("household", ""))
    if household_id is not None:
        initial["household"] = access.household_for(request.organisation, household_id).code
    next_page = _safe_next(request, request.GET.get("next", ""))
    if next_page:
        initial["next"] = next_page
    return initial


def _record_page(
    request: OrganisationRequest,
    form_class: type[DeliveryForm],
    template_context: dict[str, Any],
    success_message: str,
    url_name: str,
) -> HttpResponse:
    organisation = request.organisation
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                actions.record_delivery(
                    actor=request.user,
                    organisation=organisation,
                    request=request,
                    **form.delivery_values(default_staff=request.user),
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, success_message)
                target = _safe_next(request, form.cleaned_data.get("next") or "")
                return redirect(target or url_name, org=organisation.slug)
        status = 400
    else:
        initial = {**new_record_initial(organisation, request.user.pk), **_prefill(request)}
        form = form_class(initial=initial, organisation=organisation)
    context = {
        "organisation": organisation,
        "form": form,
        "language_suggestions": language_options(organisation),
        **template_context,
    }
    return render(request, "services/record.html", context, status=status)


@organisation_view("casework.record_service")
@require_http_methods(["GET", "POST"])
def delivery_record(request: OrganisationRequest) -> HttpResponse:
    return _record_page(
        request,
        RecordForm,
        {"heading": _("Record a service"), "distribution": False},
        _("Service recorded."),
        "service_record",
    )


@organisation_view("casework.record_service")
@require_http_methods(["GET", "POST"])
def distribution_record(request: OrganisationRequest) -> HttpResponse:
    return _record_page(
        request,
        DistributionForm,
        {"heading": _("Record a distribution or group session"), "distribution": True},
        _("Distribution recorded."),
        "service_distribution_record",
    )


@organisation_view("casework.view_person")
@require_GET
def delivery_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    words = people_words(organisation)
    form = DeliveryFilterForm(request.GET or None, organisation=organisation, words=words)
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "organisation": organisation,
        "form": form,
        "query": query.urlencode(),
        "may_record": "casework.record_service" in request.permissions,
        "words": words,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "services/delivery_list.html", {**context, "page": None}, status=400)
    filters = form.filters()
    deliveries = access.deliveries_matching(organisation, filters)
    totals = access.totals_of(deliveries)
    # The totals already counted the deliveries: the paginator need not count them again.
    listed = access.listing_values(deliveries)
    page = Paginator(listed, PAGE_SIZE, known_count=totals.count).get_page(request.GET.get("page"))
    rows = access.listing_rows(page.object_list)
    access.note_listing(
        actor=request.user,
        organisation=organisation,
        filters=filters,
        count=len(rows),
        request=request,
    )
    return render(
        request,
        "services/delivery_list.html",
        {**context, "page": page, "rows": rows, "totals": totals},
    )


@organisation_view("casework.record_service")
@require_http_methods(["GET", "POST"])
def delivery_edit(request: OrganisationRequest, delivery_id: uuid.UUID) -> HttpResponse:
    organisation = request.organisation
    status = 200
    if request.method == "POST":
        delivery = access.delivery_for(organisation, delivery_id)
        form = DeliveryForm(request.POST, organisation=organisation, current=delivery.service_type)
        if form.is_valid():
            try:
                actions.update_delivery(
                    actor=request.user,
                    delivery=delivery,
                    changes=form.delivery_values(default_staff=None),
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("service_list", org=organisation.slug)
        status = 400
    else:
        delivery = access.delivery_for(
            organisation, delivery_id, viewer=request.user, request=request
        )
        form = DeliveryForm(
            initial=DeliveryForm.initial_for(delivery),
            organisation=organisation,
            current=delivery.service_type,
        )
    context = {
        "organisation": organisation,
        "delivery": delivery,
        "label": access.service_label(delivery.service_type),
        "form": form,
        "language_suggestions": language_options(organisation),
    }
    return render(request, "services/delivery_edit.html", context, status=status)


@organisation_view("casework.record_service")
@require_POST
def delivery_delete(request: OrganisationRequest, delivery_id: uuid.UUID) -> HttpResponse:
    delivery = access.delivery_for(request.organisation, delivery_id)
    actions.delete_delivery(actor=request.user, delivery=delivery, request=request)
    messages.success(request, _("The service record was deleted."))
    return redirect("service_list", org=request.organisation.slug)


@organisation_view("casework.manage_settings")
@require_GET
def catalogue(request: OrganisationRequest) -> HttpResponse:
    return render(
        request,
        "services/catalogue.html",
        {
            "organisation": request.organisation,
            "entries": access.catalogue_for(request.organisation),
        },
    )


@organisation_view("casework.manage_settings")
@require_http_methods(["GET", "POST"])
def service_type_create(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    status = 200
    if request.method == "POST":
        form = ServiceTypeForm(request.POST)
        if form.is_valid():
            try:
                actions.create_service_type(
                    actor=request.user,
                    organisation=organisation,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Service added to your catalogue."))
                return redirect("service_catalogue", org=organisation.slug)
        status = 400
    else:
        form = ServiceTypeForm(initial={"category": "other"})
    context = {"organisation": organisation, "form": form, "service_type": None}
    return render(request, "services/service_type_form.html", context, status=status)


@organisation_view("casework.manage_settings")
@require_http_methods(["GET", "POST"])
def service_type_edit(request: OrganisationRequest, service_type_id: int) -> HttpResponse:
    organisation = request.organisation
    service_type = access.own_service_type_for(organisation, service_type_id)
    status = 200
    if request.method == "POST":
        form = ServiceTypeForm(request.POST)
        if form.is_valid():
            try:
                actions.update_service_type(
                    actor=request.user,
                    service_type=service_type,
                    changes=form.cleaned_data,
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("service_catalogue", org=organisation.slug)
        status = 400
    else:
        form = ServiceTypeForm(initial=ServiceTypeForm.initial_for(service_type))
    context = {"organisation": organisation, "form": form, "service_type": service_type}
    return render(request, "services/service_type_form.html", context, status=status)


@organisation_view("casework.manage_settings")
@require_POST
def service_type_visibility(request: OrganisationRequest, service_type_id: int) -> HttpResponse:
    organisation = request.organisation
    service_type = access.service_type_for(organisation, service_type_id)
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Say whether to hide or show the service."), status=400)
    hidden = form.cleaned_data["hidden"] == "1"
    actions.set_service_type_hidden(
        actor=request.user,
        organisation=organisation,
        service_type=service_type,
        hidden=hidden,
        request=request,
    )
    label = access.service_label(service_type)
    if hidden:
        messages.success(request, _("%(service)s is hidden from your forms.") % {"service": label})
    else:
        messages.success(request, _("%(service)s is offered again.") % {"service": label})
    return redirect("service_catalogue", org=organisation.slug)
